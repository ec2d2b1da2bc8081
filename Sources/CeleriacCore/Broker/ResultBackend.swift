import Foundation

/// Where task states and return values are stored: the SQLite file or Redis.
///
/// Like ``Broker``, synchronous and safe to share between threads and processes.
public protocol ResultBackend: Sendable {
  /// The backend's location without any password, for logs.
  var redactedURL: String { get }

  /// Stores (or replaces) the records, each to expire after `expiresIn` (`nil`: never).
  func store(_ records: [TaskResultRecord], expiresIn: Duration?) throws

  /// The stored record for `taskID`, or `nil` (the task is `PENDING` or its result expired).
  func result(for taskID: String) throws -> TaskResultRecord?

  /// Waits until the task is ready (or `timeout` passes) and returns the last record seen.
  func waitForResult(_ taskID: String, timeout: Duration) throws -> TaskResultRecord?

  /// Deletes expired results; returns how many.
  func deleteExpired() throws -> Int

  /// Marks tasks as revoked: a worker that has not started them will not.
  func revoke(_ taskIDs: [String]) throws

  /// Which of `taskIDs` have been revoked.
  func revoked(among taskIDs: [String]) throws -> Set<String>

  /// Records `key` for `taskID` unless a task already holds it; returns the holder's id, or
  /// `nil` when `taskID` now holds it.
  func reserveIdempotencyKey(_ key: String, for taskID: String, expiresIn: Duration) throws
    -> String?

  /// Frees `key` if `taskID` holds it (a publish that failed after the key was reserved), so
  /// that the next send with the key is not answered with a task that was never sent.
  func releaseIdempotencyKey(_ key: String, heldBy taskID: String) throws
}

extension ResultBackend {
  /// Polls ``result(for:)`` with a short, growing interval until the task is ready.
  public func pollForResult(_ taskID: String, timeout: Duration) throws -> TaskResultRecord? {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var interval = Duration.microseconds(200)
    var last: TaskResultRecord?
    while true {
      last = try result(for: taskID)
      if let record = last, record.state.isReady { return record }
      let now = clock.now
      if now >= deadline { return last }
      let pause = min(interval, deadline - now)
      Thread.sleep(forTimeInterval: pause.seconds)
      interval = min(interval * 2, .milliseconds(20))
    }
  }
}

/// How long results are kept by default (Celery's `result_expires`: one day).
public let defaultResultExpiry: Duration = .seconds(86_400)
