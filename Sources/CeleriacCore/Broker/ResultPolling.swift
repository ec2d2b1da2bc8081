/// The polling loop of the result readers that have no push notification to wait on.
public enum ResultPolling {
  /// Calls `read` until it returns a ready record or `deadline` passes, pausing between reads
  /// for `firstInterval`, then twice as long each time up to `longestInterval` (never past the
  /// deadline). Returns the last record read; a cancelled pause throws `CancellationError`.
  public static func poll(
    until deadline: ContinuousClock.Instant, firstInterval: Duration, longestInterval: Duration,
    read: () async throws -> TaskResultRecord?
  ) async throws -> TaskResultRecord? {
    var interval = firstInterval
    while true {
      let last = try await read()
      let remaining = deadline - ContinuousClock.now
      if last?.state.isReady ?? false || remaining <= .zero { return last }
      try await Task.sleep(for: min(interval, remaining))
      interval = min(interval * 2, longestInterval)
    }
  }
}
