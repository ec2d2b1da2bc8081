/// Checks `condition` every `interval` until it holds or `timeout` passes, suspending (not
/// blocking a thread) between checks, and checks it once more at the deadline.
///
/// For tests that await an observable state change (a log line, a row, a process exit); it
/// never stands in for one.
///
/// - Returns: whether `condition` held before the deadline.
/// - Throws: what `condition` throws, and `CancellationError` when the waiting task is
///   cancelled.
public func waitUntil(
  timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(5),
  _ condition: () async throws -> Bool
) async throws -> Bool {
  try await waitForValue(timeout: timeout, every: interval) { try await condition() ? true : nil }
    ?? false
}

/// Calls `produce` every `interval` until it returns a value or `timeout` passes, suspending
/// between calls, and calls it once more at the deadline.
///
/// - Returns: the first value `produce` returned, or `nil` when the deadline passed first.
/// - Throws: what `produce` throws, and `CancellationError` when the waiting task is
///   cancelled.
public func waitForValue<T>(
  timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(5),
  _ produce: () async throws -> T?
) async throws -> T? {
  let clock = ContinuousClock()
  let deadline = clock.now + timeout
  while clock.now < deadline {
    if let value = try await produce() { return value }
    try await Task.sleep(for: interval)
  }
  return try await produce()
}
