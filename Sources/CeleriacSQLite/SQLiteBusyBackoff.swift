/// How a connection waits when another one holds the file's write lock: a short sleep that
/// doubles on each try up to a ceiling, until the busy timeout is spent.
///
/// SQLite's own busy handler (`sqlite3_busy_timeout`) sleeps 1 ms at the first try and 2, 5,
/// 10 ms after that. The write transactions here (a publish, a claim, a stored result) hold
/// the lock for tens of microseconds, so that first millisecond was most of a round trip
/// whenever a supervisor woken by a producer's first log frame asked for the lock before the
/// producer had committed. Starting at ``firstDelay`` costs a few more tries under a long
/// transaction (a batch of thousands) and nothing else.
public struct SQLiteBusyBackoff: Sendable, Equatable {
  /// The first sleep, by default.
  public static let defaultFirstDelay: Duration = .microseconds(20)
  /// The longest sleep, by default: how late a waiter may notice that the lock is free.
  public static let defaultLongestDelay: Duration = .milliseconds(2)

  /// How long the waits of one busy episode may add up to before the statement fails with
  /// `SQLITE_BUSY`.
  public let timeout: Duration
  /// The sleep after the first failed try.
  public let firstDelay: Duration
  /// The ceiling of the doubling sleeps.
  public let longestDelay: Duration
  /// How many sleeps double before they reach ``longestDelay``.
  private let doublings: Int

  /// A backoff that gives up after `timeout` in all.
  public init(
    timeout: Duration,
    firstDelay: Duration = Self.defaultFirstDelay,
    longestDelay: Duration = Self.defaultLongestDelay
  ) {
    self.timeout = max(timeout, .zero)
    self.firstDelay = max(firstDelay, .nanoseconds(1))
    self.longestDelay = max(longestDelay, self.firstDelay)
    var doublings = 0
    var step = self.firstDelay
    while step < self.longestDelay {
      step *= 2
      doublings += 1
    }
    self.doublings = doublings
  }

  /// The sleep before try `tries + 1`, after `tries` failed ones (SQLite counts from 0), or
  /// `nil` when the waits so far have used up the timeout and the statement should fail.
  public func delay(afterTries tries: Int) -> Duration? {
    let tries = max(tries, 0)
    // The doubling phase: firstDelay · 2^k for k < doublings, then longestDelay each time.
    let slept: Duration
    let next: Duration
    if tries < doublings {
      slept = firstDelay * ((1 << tries) - 1)
      next = firstDelay * (1 << tries)
    } else {
      slept = firstDelay * ((1 << doublings) - 1) + longestDelay * (tries - doublings)
      next = longestDelay
    }
    guard slept < timeout else { return nil }
    return min(next, timeout - slept)
  }
}
