/// What beat does with due times it missed (beat was down longer than the catch-up window).
///
/// Never a burst: however many due times were missed, at most one message is published for
/// them. Due times late by less than the catch-up window (a leader that changed, a slow turn)
/// are not missed: each is published.
public enum MissedRunPolicy: String, Sendable, Hashable, CaseIterable {
  /// Publish once, for the latest missed due time (the default, like cron's anacron mode).
  case once
  /// Publish nothing for them; wait for the next due time.
  case skip

  /// The policy of an entry that does not name one.
  public static let `default` = MissedRunPolicy.once
}
