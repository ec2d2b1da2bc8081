/// A handle on a sent task's outcome (Celery's `AsyncResult`).
public struct AsyncResult: Sendable {
  /// The task's id.
  public let id: String
  private let backend: any ResultBackend

  /// A handle on the task `id` in `backend`.
  public init(id: String, backend: any ResultBackend) {
    self.id = id
    self.backend = backend
  }

  /// The task's current state (`PENDING` when the backend knows nothing yet).
  public func state() throws -> TaskState {
    try backend.result(for: id)?.state ?? .pending
  }

  /// The stored record, if any.
  public func record() throws -> TaskResultRecord? {
    try backend.result(for: id)
  }

  /// Waits for the task to finish and returns its value; throws its ``TaskFailure`` when it
  /// failed, and a ``CeleriacError`` with code `timeout` when it is not ready in time.
  public func get(timeout: Duration = .seconds(30)) async throws -> JSONValue {
    let backend = self.backend
    let id = self.id
    let record = try await Task.detached {
      try backend.waitForResult(id, timeout: timeout)
    }.value
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
