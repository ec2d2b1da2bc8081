/// How often the supervisor may read its queues' depths: never more than a small share of
/// its time.
///
/// A depth is a count of the due tasks, which no broker answers in constant time (SQLite
/// counts index entries; at a million queued that took more of the supervisor's time than
/// running the tasks). The status line refreshes every half second and the autoscaler samples
/// on its own interval; both ask here first, and between two reads they use the last depth.
/// A read that took `t` lets the next one start no sooner than `t × (1 / share − 1)` after it
/// ended, so reading depths costs at most ``share`` of the loop whatever the queue's length;
/// a short queue (a read of microseconds) is read as often as the callers ask.
struct DepthReadSchedule {
  /// The most of the loop's time depth reads may take, by default (2 %).
  static let defaultShare = 0.02

  /// The most of the loop's time depth reads may take.
  let share: Double
  /// When the next read may start, or `nil` before the first.
  private(set) var notBefore: ContinuousClock.Instant?

  /// A schedule allowing `share` (clamped to 0.1 %…100 %) of the loop's time.
  init(share: Double = Self.defaultShare) {
    self.share = min(max(share.isNaN ? Self.defaultShare : share, 0.001), 1)
  }

  /// Whether a read may start at `now`.
  func allows(now: ContinuousClock.Instant) -> Bool {
    notBefore.map { now >= $0 } ?? true
  }

  /// Notes a read that ran from `start` to `end`.
  mutating func record(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) {
    let took = max(end - start, .zero)
    notBefore = end + took * (1 / share - 1)
  }
}
