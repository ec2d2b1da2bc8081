import CeleriacCore

/// Reads results from the SQLite backend without blocking a thread of Swift's cooperative
/// pool: reads run on the reader's own queue, and waits are registered with one
/// ``SQLiteResultWatcher`` thread that wakes on the file's change signal.
public final class SQLiteAsyncResultReader: AsyncResultReader {
  /// The backend read from.
  public let backend: SQLiteResultBackend
  private let executor = BlockingExecutor(label: "celeriac.sqlite.results")
  private let watcher: SQLiteResultWatcher

  /// A reader of `backend` (usually the app's own).
  public init(backend: SQLiteResultBackend) {
    self.backend = backend
    self.watcher = SQLiteResultWatcher(backend: backend)
  }

  /// How many waits are registered now; zero once every wait has returned or was cancelled.
  public var pendingWaits: Int { watcher.pendingWaits }

  /// The stored record, or `nil`.
  public func result(for taskID: String) async throws -> TaskResultRecord? {
    let backend = self.backend
    return try await executor.run { try backend.result(for: taskID) }
  }

  /// Suspends until the task is ready or `timeout` passes (see ``SQLiteResultWatcher``).
  public func waitForResult(_ taskID: String, timeout: Duration) async throws -> TaskResultRecord? {
    try Task.checkCancellation()
    return try await watcher.wait(for: taskID, timeout: timeout)
  }

  /// Reserves the key in one write transaction on the reader's queue.
  public func reserveIdempotencyKey(_ key: String, for taskID: String, expiresIn: Duration)
    async throws -> String?
  {
    let backend = self.backend
    return try await executor.run {
      try backend.reserveIdempotencyKey(key, for: taskID, expiresIn: expiresIn)
    }
  }

  /// Stops the watcher thread; pending waits fail with `.backendUnavailable`.
  public func close() async {
    watcher.close()
  }
}
