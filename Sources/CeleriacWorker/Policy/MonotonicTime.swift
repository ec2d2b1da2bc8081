/// A point in time on a monotonic clock, stored as the `Duration` since an arbitrary origin.
///
/// The policies (``RestartPolicy``, ``Autoscaler``) only ever compare and subtract times, so
/// they take this plain value instead of reading a clock. The supervisor picks one origin at
/// start-up (`let origin = ContinuousClock.now`) and passes `MonotonicTime(.now, since: origin)`;
/// tests drive time by hand with `MonotonicTime(.seconds(12))` and `+`.
public struct MonotonicTime: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The time elapsed since the origin chosen by whoever created the value.
  public var sinceOrigin: Duration

  /// The origin itself.
  public static let zero = MonotonicTime(.zero)

  /// A time `sinceOrigin` after the origin.
  public init(_ sinceOrigin: Duration) {
    self.sinceOrigin = sinceOrigin
  }

  /// The time of a `ContinuousClock` instant, measured from `origin`.
  public init(_ instant: ContinuousClock.Instant, since origin: ContinuousClock.Instant) {
    self.sinceOrigin = origin.duration(to: instant)
  }

  /// A textual form such as `t+12.5s`, for logs and test failures.
  public var description: String {
    "t+" + (sinceOrigin).shortDescription
  }

  /// Whether `lhs` comes before `rhs`.
  public static func < (lhs: MonotonicTime, rhs: MonotonicTime) -> Bool {
    lhs.sinceOrigin < rhs.sinceOrigin
  }

  /// The time `rhs` after `lhs`.
  public static func + (lhs: MonotonicTime, rhs: Duration) -> MonotonicTime {
    MonotonicTime(lhs.sinceOrigin + rhs)
  }

  /// The time `rhs` before `lhs`.
  public static func - (lhs: MonotonicTime, rhs: Duration) -> MonotonicTime {
    MonotonicTime(lhs.sinceOrigin - rhs)
  }

  /// The time elapsed from `rhs` to `lhs` (negative when `lhs` is earlier).
  public static func - (lhs: MonotonicTime, rhs: MonotonicTime) -> Duration {
    lhs.sinceOrigin - rhs.sinceOrigin
  }

  /// Moves `lhs` forward by `rhs`.
  public static func += (lhs: inout MonotonicTime, rhs: Duration) {
    lhs.sinceOrigin += rhs
  }
}
