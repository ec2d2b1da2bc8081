/// How random jitter is applied to an exponential backoff delay.
///
/// With `base` the un-jittered delay of an attempt (see ``Backoff/baseDelay(attempt:)``):
public enum BackoffJitter: Sendable, Hashable {
  /// No jitter: the delay is `base` exactly.
  case none
  /// "Equal jitter": uniform in `base/2 ... base`. Never longer than `base`, never shorter
  /// than half of it, and children crashing together do not restart together. The default.
  case equal
  /// "Full jitter": uniform in `0 ... base`. Spreads restarts the most.
  case full
}

/// Exponential backoff with jitter: a pure function from an attempt number to a delay.
///
/// Attempt 1 waits `minimum`, each further attempt twice as long, capped at `maximum`
/// (100 ms, 200 ms, 400 ms, … 25.6 s, 30 s, 30 s with the defaults), and then ``jitter`` is
/// applied. The random source is a parameter, so tests pass a fixed generator and get exact
/// delays. The one backoff of the code base: the worker's restart policy uses it per pool slot
/// (as `RestartBackoff`), the supervisor for a broker that does not answer at start-up, and the
/// Redis client between reconnection attempts.
public struct Backoff: Sendable, Hashable {
  /// The delay of the first attempt.
  public var minimum: Duration
  /// The cap on the un-jittered delay; jitter only ever shortens a delay, so this is also the
  /// longest delay returned.
  public var maximum: Duration
  /// How randomness is applied.
  public var jitter: BackoffJitter

  /// A backoff from `minimum` doubling up to `maximum`, with the given jitter.
  ///
  /// Values are used as given (``RestartPolicyConfiguration`` validates them): a `maximum`
  /// below `minimum` caps every delay at `maximum`.
  public init(minimum: Duration, maximum: Duration, jitter: BackoffJitter) {
    self.minimum = minimum
    self.maximum = maximum
    self.jitter = jitter
  }

  /// The delay before attempt `attempt` (1-based) without jitter:
  /// `min(maximum, minimum × 2^(attempt − 1))`. Attempts below 1 are treated as 1.
  public func baseDelay(attempt: Int) -> Duration {
    var delay = minimum
    var doublings = max(0, attempt - 1)
    while doublings > 0 && delay < maximum {
      delay *= 2
      doublings -= 1
    }
    return min(delay, maximum)
  }

  /// The delay before attempt `attempt` (1-based), jittered with one value drawn from
  /// `generator`.
  ///
  /// The draw `r = generator.next()` is mapped to `r / UInt64.max` in `0...1`: a generator
  /// that always returns `UInt64.max` gives `base` for both `.equal` and `.full` jitter, one
  /// that returns `0` gives `base/2` (`.equal`) or zero (`.full`). `.none` draws nothing.
  public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
    let base = baseDelay(attempt: attempt)
    switch jitter {
    case .none:
      return base
    case .equal:
      let half = base / 2
      return (base - half) + Self.scale(half, by: Self.unitFraction(generator.next()))
    case .full:
      return Self.scale(base, by: Self.unitFraction(generator.next()))
    }
  }

  /// The delay before attempt `attempt` (1-based), jittered with the system's random source.
  public func delay(attempt: Int) -> Duration {
    var generator = SystemRandomNumberGenerator()
    return delay(attempt: attempt, using: &generator)
  }

  /// `value / UInt64.max`, in `0...1` (both ends reachable).
  private static func unitFraction(_ value: UInt64) -> Double {
    Double(value) / Double(UInt64.max)
  }

  /// `duration × fraction`, rounded to the nanosecond; `fraction` is in `0...1`.
  private static func scale(_ duration: Duration, by fraction: Double) -> Duration {
    let scaled = (Double(duration.wholeNanoseconds) * fraction).rounded()
    return .nanoseconds(scaled < 9.2e18 ? Int64(scaled) : .max)
  }
}
