/// The producer's non-blocking way to read task results: reads and waits suspend the calling
/// task and never hold a thread of Swift's cooperative pool.
public protocol AsyncResultReader: Sendable {
  /// The stored record for `taskID`, or `nil` (the task is `PENDING` or its result expired).
  func result(for taskID: String) async throws -> TaskResultRecord?

  /// Waits until the task is ready (or `timeout` passes) and returns the last record seen.
  ///
  /// Honours cancellation: a cancelled wait throws `CancellationError` promptly and leaves
  /// nothing subscribed or registered behind.
  func waitForResult(_ taskID: String, timeout: Duration) async throws -> TaskResultRecord?

  /// Records `key` for `taskID` unless a task already holds it; returns the holder's id, or
  /// `nil` when `taskID` now holds it (see ``ResultBackend/reserveIdempotencyKey(_:for:expiresIn:)``).
  func reserveIdempotencyKey(_ key: String, for taskID: String, expiresIn: Duration) async throws
    -> String?

  /// Closes the reader's connections; later calls fail.
  func close() async
}
