import CeleriacCore

/// This worker's side of rate limiting: its own buckets (``RateLimiter``), the limits remote
/// control set (`rate_limit`), and when the tasks it sent back to the broker are due again, so
/// that the loop wakes then to claim them.
struct WorkerRateLimits {
  /// The most wake-ups kept for deferred tasks: only the earliest matter, and a backlog of
  /// rate-limited tasks must not grow the list (nor the scan of it every turn) without end. A
  /// task whose wake-up is not kept is still claimed by the next poll after its ETA.
  static let maximumWakeups = 1_000

  private var limiter = RateLimiter()
  /// Limits set by remote control, by task name (registered names only).
  private var overrides: [String: RateLimitSetting] = [:]
  private var wakeups: [ContinuousClock.Instant] = []

  /// The limit that applies to `name` now: the one set by remote control, else `declared`
  /// (the task's own); nil: none.
  func limit(of name: String, declared: RateLimit?) -> RateLimit? {
    switch overrides[name] {
    case .limited(let limit)?: return limit
    case .unlimited?: return nil
    case nil: return declared
    }
  }

  /// Remote control set `setting` for `name`; its bucket starts afresh.
  mutating func set(_ setting: RateLimitSetting, for name: String) {
    overrides[name] = setting
    limiter.reset(name)
  }

  /// The slot this worker's bucket gives `message` under `limit` (see ``RateLimiter``).
  mutating func slot(for message: TaskMessage, limit: RateLimit, now: Double) -> Double? {
    limiter.slot(for: message, limit: limit, now: now)
  }

  /// Keeps `wakeup`, dropping the latest one kept when the list is full.
  mutating func noteWakeup(_ wakeup: ContinuousClock.Instant) {
    guard wakeups.count >= Self.maximumWakeups else {
      wakeups.append(wakeup)
      return
    }
    guard let latest = wakeups.indices.max(by: { wakeups[$0] < wakeups[$1] }),
      wakeup < wakeups[latest]
    else { return }
    wakeups[latest] = wakeup
  }

  /// The earliest wake-up still to come after `now` (past ones are dropped).
  mutating func nextWakeup(after now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
    wakeups.removeAll { $0 <= now }
    return wakeups.min()
  }
}
