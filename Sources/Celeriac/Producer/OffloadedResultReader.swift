import CeleriacCore

/// The non-blocking form of any ``ResultBackend`` without one of its own: reads run on a
/// dedicated queue, and a wait polls with growing, cancellable pauses between reads.
public final class OffloadedResultReader: AsyncResultReader {
  /// The first pause between two reads of a wait.
  public static let firstPollInterval: Duration = .microseconds(200)
  /// The longest pause between two reads of a wait.
  public static let longestPollInterval: Duration = .milliseconds(50)

  /// The wrapped backend.
  public let backend: any ResultBackend
  private let executor = BlockingExecutor(label: "celeriac.offloaded.results")

  /// Wraps `backend`.
  public init(backend: any ResultBackend) {
    self.backend = backend
  }

  /// Runs ``ResultBackend/result(for:)`` on the reader's queue.
  public func result(for taskID: String) async throws -> TaskResultRecord? {
    let backend = self.backend
    return try await executor.run { try backend.result(for: taskID) }
  }

  /// Reads until the task is ready or `timeout` passes; cancellation ends a pause at once.
  public func waitForResult(_ taskID: String, timeout: Duration) async throws -> TaskResultRecord? {
    try await ResultPolling.poll(
      until: ContinuousClock.now + timeout, firstInterval: Self.firstPollInterval,
      longestInterval: Self.longestPollInterval
    ) {
      try Task.checkCancellation()
      return try await result(for: taskID)
    }
  }

  /// Runs ``ResultBackend/reserveIdempotencyKey(_:for:expiresIn:)`` on the reader's queue.
  public func reserveIdempotencyKey(_ key: String, for taskID: String, expiresIn: Duration)
    async throws -> String?
  {
    let backend = self.backend
    return try await executor.run {
      try backend.reserveIdempotencyKey(key, for: taskID, expiresIn: expiresIn)
    }
  }

  /// Nothing to close: the backend belongs to its owner.
  public func close() async {}
}
