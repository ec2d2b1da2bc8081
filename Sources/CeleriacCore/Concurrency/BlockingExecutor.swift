import Dispatch

/// Runs blocking work (a SQLite statement, a blocking socket) on a dedicated serial dispatch
/// queue and suspends the caller until it is done, so that the caller's thread of Swift's
/// cooperative pool is free meanwhile.
///
/// The queue is the executor's own: its thread is never one of the cooperative pool's.
public final class BlockingExecutor: Sendable {
  private let queue: DispatchQueue

  /// An executor whose queue carries `label` (shown in debuggers and crash logs).
  public init(label: String) {
    self.queue = DispatchQueue(label: label, qos: .userInitiated)
  }

  /// Runs `body` on the executor's queue; returns its value or rethrows its error.
  ///
  /// Work already started is not interrupted by cancellation (a blocking call cannot be); the
  /// caller sees the outcome when it ends.
  public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      queue.async {
        continuation.resume(with: Result { try body() })
      }
    }
  }
}
