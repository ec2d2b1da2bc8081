/// Whom a task's ``RateLimit`` binds.
///
/// - ``worker``: each supervisor on its own (Celery's meaning of `rate_limit`): with three
///   workers, `"10/s"` allows up to thirty starts a second across the fleet.
/// - ``global``: every supervisor sharing the broker together, through one token bucket per
///   task name kept in the broker (``GlobalRateLimiting``): `"10/s"` is ten starts a second
///   in all. Celery has no equivalent; a Python worker serving the same task applies its own
///   per-worker limit and does not take part.
public enum RateLimitScope: String, Sendable, Equatable, CaseIterable {
  /// Each worker on its own (the default).
  case worker
  /// Every worker sharing the broker, through a bucket in the broker.
  case global

  /// The scope of a task declared without one.
  public static let defaultScope = RateLimitScope.worker
}
