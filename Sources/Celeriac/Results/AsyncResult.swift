/// A handle on a sent task's outcome (Celery's `AsyncResult`).
///
/// Every read suspends the calling task and never holds a thread of Swift's cooperative pool
/// for the backend's I/O or for the wait: on Redis through the app's NIO connection and a
/// pub/sub subscription, on SQLite through the backend's own threads and its change signal.
public struct AsyncResult: Sendable {
  /// The task's id.
  public let id: String
  private let reader: any AsyncResultReader

  /// A handle on the task `id` in `backend`, read through `reader` (by default the blocking
  /// calls of `backend`, run on a queue of their own).
  public init(id: String, backend: any ResultBackend, reader: (any AsyncResultReader)? = nil) {
    self.id = id
    self.reader = reader ?? OffloadedResultReader(backend: backend)
  }

  /// The task's current state (`PENDING` when the backend knows nothing yet).
  public func state() async throws -> TaskState {
    try await reader.result(for: id)?.state ?? .pending
  }

  /// The stored record, if any.
  public func record() async throws -> TaskResultRecord? {
    try await reader.result(for: id)
  }

  /// Waits for the task to finish and returns its value; throws its ``TaskFailure`` when it
  /// failed, a ``CeleriacError`` with code `timeout` when it is not ready in time, and
  /// `CancellationError` promptly when the waiting task is cancelled.
  public func get(timeout: Duration = .seconds(30)) async throws -> JSONValue {
    let record = try await reader.waitForResult(id, timeout: timeout)
    guard let record, record.state.isReady else {
      let state = record?.state ?? .pending
      throw CeleriacError(
        .timeout, "task \(id) not ready after \(timeout) (state \(state))")
    }
    if let failure = record.failure { throw failure }
    if record.state == .revoked {
      throw TaskFailure(
        type: "TaskRevokedError", message: "task \(id) was revoked",
        module: TaskFailure.celeryExceptionsModule)
    }
    return record.result ?? .null
  }

  /// Waits for the task and decodes its value as `T`.
  public func get<T: Decodable>(as type: T.Type, timeout: Duration = .seconds(30)) async throws
    -> T
  {
    try JSONCoding.value(type, from: try await get(timeout: timeout))
  }
}
