/// The settings of an ``Autoscaler``: pool bounds, growth step, scale-down pacing, sampling.
///
/// Every setting has a documented default as a named constant. The initialiser validates and
/// throws a ``PolicyConfigurationError`` with a one-line message for a bad value. The order of
/// Celery's `--autoscale MAX,MIN` flag is the command line's business; here the bounds are named.
public struct AutoscalerConfiguration: Sendable, Hashable {
  /// Default least number of children: 1.
  public static let defaultMinimum = 1
  /// Default greatest number of children: 8. The command line normally passes its own (Celery's
  /// default concurrency is the number of CPUs).
  public static let defaultMaximum = 8
  /// Default largest number of children spawned in one tick: 8 (the step goes 1, 2, 4, 8).
  public static let defaultMaximumStep = 8
  /// Default quiet time before scaling down: 30 s since the last scale-up, and of continuous
  /// idle surplus with no backlog.
  public static let defaultScaleDownCooldown: Duration = .seconds(30)
  /// Default least time between two scale-downs: 10 s.
  public static let defaultScaleDownInterval: Duration = .seconds(10)
  /// Default number of idle children retired per scale-down: 1.
  public static let defaultScaleDownStep = 1
  /// Default interval at which the supervisor should call ``Autoscaler/decide(_:now:)``:
  /// 250 ms.
  public static let defaultSampleInterval: Duration = .milliseconds(250)

  /// The configuration with every default.
  public static let standard = try! AutoscalerConfiguration()

  /// The least number of children in the pool; at least 1, so that a queue is always served
  /// and a pool always has a child to report ready (a depth reading that lags or fails cannot
  /// leave the queue with nobody to take its tasks).
  public let minimum: Int
  /// The greatest number of children in the pool; at least ``minimum``.
  public let maximum: Int
  /// The cap of the growth step: under a lasting backlog the pool grows by 1, 2, 4, … up to this
  /// many children per tick. At least 1.
  public let maximumStep: Int
  /// The pool scales down only when at least this long has passed since its last scale-up and
  /// it has had idle children beyond ``minimum`` and no backlog for at least this long without
  /// a break. Not negative.
  public let scaleDownCooldown: Duration
  /// The least time between two scale-downs, so that a pool shrinks one step at a time.
  /// Not negative.
  public let scaleDownInterval: Duration
  /// How many idle children one scale-down retires (never more than are idle, never below
  /// ``minimum``). At least 1.
  public let scaleDownStep: Int
  /// The interval at which the supervisor should sample the pool and call
  /// ``Autoscaler/decide(_:now:)``. The autoscaler itself does not use it. Positive.
  public let sampleInterval: Duration

  /// A configuration; every parameter defaults to its `default…` constant.
  ///
  /// - Throws: ``PolicyConfigurationError`` naming the first invalid setting.
  public init(
    minimum: Int = defaultMinimum,
    maximum: Int = defaultMaximum,
    maximumStep: Int = defaultMaximumStep,
    scaleDownCooldown: Duration = defaultScaleDownCooldown,
    scaleDownInterval: Duration = defaultScaleDownInterval,
    scaleDownStep: Int = defaultScaleDownStep,
    sampleInterval: Duration = defaultSampleInterval
  ) throws(PolicyConfigurationError) {
    typealias Check = PolicyConfigurationError
    try Check.requireAtLeastOne(minimum, "autoscale minimum")
    guard maximum >= minimum else {
      throw PolicyConfigurationError("autoscale maximum \(maximum) is below minimum \(minimum)")
    }
    try Check.requireAtLeastOne(maximumStep, "autoscale maximum step")
    try Check.requireNotNegative(scaleDownCooldown, "scale-down cooldown")
    try Check.requireNotNegative(scaleDownInterval, "scale-down interval")
    try Check.requireAtLeastOne(scaleDownStep, "scale-down step")
    try Check.requirePositive(sampleInterval, "autoscale sample interval")
    self.minimum = minimum
    self.maximum = maximum
    self.maximumStep = maximumStep
    self.scaleDownCooldown = scaleDownCooldown
    self.scaleDownInterval = scaleDownInterval
    self.scaleDownStep = scaleDownStep
    self.sampleInterval = sampleInterval
  }
}
