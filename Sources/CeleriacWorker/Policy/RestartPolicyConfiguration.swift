import CeleriacCore

/// The settings of a ``RestartPolicy``: backoff, stability, crash-loop and boot-failure limits.
///
/// Every setting has a documented default as a named constant. The initialiser validates and
/// throws a ``PolicyConfigurationError`` with a one-line message for a bad value.
public struct RestartPolicyConfiguration: Sendable, Hashable {
  /// Default first restart delay of a slot: 100 ms.
  public static let defaultMinimumBackoff: Duration = .milliseconds(100)
  /// Default cap on a slot's restart delay: 30 s.
  public static let defaultMaximumBackoff: Duration = .seconds(30)
  /// Default jitter: ``BackoffJitter/equal`` (a delay in `base/2 ... base`).
  public static let defaultJitter: BackoffJitter = .equal
  /// Default uptime after which a child counts as stable: 10 s.
  public static let defaultStableUptime: Duration = .seconds(10)
  /// Default time a pool may keep failing early, with no stable child, before giving up: 60 s.
  public static let defaultCrashLoopWindow: Duration = .seconds(60)
  /// Default least number of early failures in a pool's crash loop before giving up: 5.
  public static let defaultCrashLoopMinimumFailures = 5
  /// Default number of consecutive boot failures in a pool before giving up: 5.
  public static let defaultMaxBootFailures = 5

  /// The configuration with every default.
  public static let standard = try! RestartPolicyConfiguration()

  /// The delay before the first restart of a slot after a failure. Must be positive.
  public let minimumBackoff: Duration
  /// The cap on a slot's restart delay. Must be at least ``minimumBackoff``.
  public let maximumBackoff: Duration
  /// How jitter is applied to restart delays.
  public let jitter: BackoffJitter
  /// A child that ran at least this long (from spawn to exit) was stable: its slot's failure
  /// count is reset and the pool is not in a crash loop. Must be positive.
  public let stableUptime: Duration
  /// How long a pool may keep failing early with no stable child before the policy gives up.
  /// Must be positive.
  public let crashLoopWindow: Duration
  /// The policy gives up on a crash loop only once at least this many early failures happened
  /// in it (guards against giving up on two failures far apart). Must be at least 1.
  public let crashLoopMinimumFailures: Int
  /// The policy gives up after this many consecutive boot failures in a pool (children that
  /// exited before reporting ready, with no child becoming ready in between). Must be at
  /// least 1.
  public let maxBootFailures: Int

  /// A configuration; every parameter defaults to its `default…` constant.
  ///
  /// - Throws: ``PolicyConfigurationError`` naming the first invalid setting.
  public init(
    minimumBackoff: Duration = defaultMinimumBackoff,
    maximumBackoff: Duration = defaultMaximumBackoff,
    jitter: BackoffJitter = defaultJitter,
    stableUptime: Duration = defaultStableUptime,
    crashLoopWindow: Duration = defaultCrashLoopWindow,
    crashLoopMinimumFailures: Int = defaultCrashLoopMinimumFailures,
    maxBootFailures: Int = defaultMaxBootFailures
  ) throws(PolicyConfigurationError) {
    typealias Check = PolicyConfigurationError
    try Check.requirePositive(minimumBackoff, "restart minimum backoff")
    guard maximumBackoff >= minimumBackoff else {
      throw PolicyConfigurationError(
        "restart maximum backoff \(maximumBackoff.shortDescription) is below "
          + "minimum backoff \(minimumBackoff.shortDescription)")
    }
    try Check.requirePositive(stableUptime, "stable uptime")
    try Check.requirePositive(crashLoopWindow, "crash-loop window")
    try Check.requireAtLeastOne(crashLoopMinimumFailures, "crash-loop minimum failures")
    try Check.requireAtLeastOne(maxBootFailures, "max boot failures")
    self.minimumBackoff = minimumBackoff
    self.maximumBackoff = maximumBackoff
    self.jitter = jitter
    self.stableUptime = stableUptime
    self.crashLoopWindow = crashLoopWindow
    self.crashLoopMinimumFailures = crashLoopMinimumFailures
    self.maxBootFailures = maxBootFailures
  }

  /// The backoff these settings describe.
  public var backoff: RestartBackoff {
    RestartBackoff(minimum: minimumBackoff, maximum: maximumBackoff, jitter: jitter)
  }
}

/// The backoff between restarts of a pool slot: CeleriacCore's ``Backoff``.
public typealias RestartBackoff = Backoff
