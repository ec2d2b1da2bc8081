/// Whether the broker answers, so that an outage is logged once when it starts, reminded of
/// now and then, and logged again when it ends, instead of once per failed call.
struct BrokerHealth {
  /// How often an ongoing outage is logged again.
  static let reminderInterval: Duration = .seconds(30)

  private(set) var downSince: ContinuousClock.Instant?
  private var lastReport: ContinuousClock.Instant?
  private var failures = 0

  /// Whether the last broker call failed.
  var isDown: Bool { downSince != nil }

  /// Records a failed call; returns the line to log, if this one should be logged.
  mutating func failed(_ operation: String, _ error: any Error, now: ContinuousClock.Instant)
    -> String?
  {
    failures += 1
    guard let since = downSince else {
      downSince = now
      lastReport = now
      return "broker unavailable (\(operation)): \(error); retrying, tasks held are kept"
    }
    guard let last = lastReport, now - last >= Self.reminderInterval else { return nil }
    lastReport = now
    return
      "broker still unavailable after \((now - since).shortDescription) (\(failures) failed calls): \(error)"
  }

  /// Records a successful call; returns the line to log when it ends an outage.
  mutating func succeeded(now: ContinuousClock.Instant) -> String? {
    guard let since = downSince else { return nil }
    defer {
      downSince = nil
      lastReport = nil
      failures = 0
    }
    return "broker is back after \((now - since).shortDescription)"
  }
}
