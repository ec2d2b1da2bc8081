/// What the supervisor observed of one pool at one autoscaler tick.
///
/// Negative counts are treated as zero, and a `totalChildren` below `busyChildren + idleChildren`
/// as that sum.
public struct AutoscalerSnapshot: Sendable, Hashable {
  /// Due tasks waiting in the broker on this pool's queues (not counting delayed ETA tasks).
  public var queueDepth: Int
  /// Tasks of this pool claimed from the broker and not yet finished.
  public var inFlight: Int
  /// Children running a task.
  public var busyChildren: Int
  /// Ready children waiting for a task.
  public var idleChildren: Int
  /// Every child of the pool: busy, idle, still starting, and slots waiting out a restart
  /// backoff (count those, or the autoscaler refills a crashed slot at once and defeats the
  /// ``RestartPolicy``). Children being retired or drained are not counted.
  public var totalChildren: Int

  /// A snapshot with the given counts.
  public init(
    queueDepth: Int, inFlight: Int, busyChildren: Int, idleChildren: Int, totalChildren: Int
  ) {
    self.queueDepth = queueDepth
    self.inFlight = inFlight
    self.busyChildren = busyChildren
    self.idleChildren = idleChildren
    self.totalChildren = totalChildren
  }
}

/// What the autoscaler wants done to a pool at one tick. Every case carries a short one-line
/// reason for the log, e.g. `depth 42, 0 idle: +4 (step 4)`.
///
/// Hold reasons carry live numbers and so change from tick to tick: log them at a debug level,
/// or only when the kind of decision changes.
public enum ScalingDecision: Sendable, Hashable {
  /// Change nothing.
  case hold(reason: String)
  /// Start `count` (≥ 1) more children.
  case spawn(count: Int, reason: String)
  /// Retire `count` (≥ 1, never more than were idle) idle children; the supervisor picks which.
  case retire(count: Int, reason: String)

  /// The one-line reason of any decision.
  public var reason: String {
    switch self {
    case .hold(let reason), .spawn(_, let reason), .retire(_, let reason): reason
    }
  }

  /// The change in the number of children: positive to spawn, negative to retire, 0 to hold.
  public var delta: Int {
    switch self {
    case .hold: 0
    case .spawn(let count, _): count
    case .retire(let count, _): -count
    }
  }
}

/// The autoscaling decision of one pool: a pure value fed one ``AutoscalerSnapshot`` per tick.
///
/// Rules, in order, with the settings of ``AutoscalerConfiguration``:
/// 1. **Bounds.** Fewer than `minimum` children: spawn up to `minimum` at once. More than
///    `maximum`: retire the excess, but only as many as are idle.
/// 2. **Up fast.** Tasks waiting (`queueDepth > 0`) and no idle child: spawn `step` children,
///    but never beyond `maximum` nor beyond the work there is
///    (`queueDepth + inFlight − totalChildren`). The step starts at 1 and doubles after each
///    spawn while the backlog lasts (1, 2, 4, … up to `maximumStep`); it goes back to 1 at the
///    first tick with no backlog. Tasks waiting while a child is idle: hold, the idle child is
///    about to take one.
/// 3. **Down slowly.** No backlog and idle children beyond `minimum`: retire `scaleDownStep`
///    idle children (never below `minimum`, never more than are idle) once all of these hold:
///    the pool has had such an idle surplus and no backlog *continuously* for
///    `scaleDownCooldown` (any tick with a backlog restarts that wait, like uWSGI's cheaper
///    penalty); `scaleDownCooldown` has passed since the last scale-up; `scaleDownInterval` has
///    passed since the last scale-down.
/// 4. Otherwise hold.
///
/// So a load that flaps between backlog and none never scales down, and a pool that just grew
/// waits a full cooldown before it shrinks. Spawning up to `minimum` is not a scale-up for the
/// cooldown; retiring above `maximum` is a scale-down for the interval.
public struct Autoscaler: Sendable, Hashable {
  /// The settings in use. It may be replaced (reload, TTIN/TTOU); the timers and step are kept.
  public var configuration: AutoscalerConfiguration
  /// The growth step of the next scale-up.
  public private(set) var step = 1
  /// When the pool last scaled up for a backlog.
  public private(set) var lastScaleUp: MonotonicTime?
  /// When the pool last scaled down.
  public private(set) var lastScaleDown: MonotonicTime?
  /// Since when the pool has had idle children beyond `minimum` and no backlog, without a
  /// break; `nil` when it has not.
  public private(set) var surplusSince: MonotonicTime?

  /// An autoscaler with no history.
  public init(configuration: AutoscalerConfiguration = .standard) {
    self.configuration = configuration
  }

  /// Decides what to do with the pool given what it looks like at `now`.
  public mutating func decide(_ snapshot: AutoscalerSnapshot, now: MonotonicTime) -> ScalingDecision
  {
    let depth = max(0, snapshot.queueDepth)
    let inFlight = max(0, snapshot.inFlight)
    let busy = max(0, snapshot.busyChildren)
    let idle = max(0, snapshot.idleChildren)
    let total = max(snapshot.totalChildren, busy + idle)
    let minimum = configuration.minimum
    let maximum = configuration.maximum

    if total < minimum {
      let count = minimum - total
      return .spawn(count: count, reason: "\(total) children, below minimum \(minimum): +\(count)")
    }
    if total > maximum {
      surplusSince = nil
      let count = min(total - maximum, idle)
      guard count > 0 else {
        return .hold(reason: "\(total) children, above maximum \(maximum), none idle: hold")
      }
      lastScaleDown = now
      return .retire(
        count: count, reason: "\(total) children, above maximum \(maximum), \(idle) idle: -\(count)"
      )
    }
    if depth > 0 {
      return scaleUp(depth: depth, inFlight: inFlight, idle: idle, total: total, now: now)
    }
    return scaleDown(busy: busy, idle: idle, total: total, now: now)
  }

  private mutating func scaleUp(
    depth: Int, inFlight: Int, idle: Int, total: Int, now: MonotonicTime
  ) -> ScalingDecision {
    surplusSince = nil
    guard idle == 0 else {
      return .hold(reason: "depth \(depth), \(idle) idle: hold")
    }
    let headroom = configuration.maximum - total
    guard headroom > 0 else {
      return .hold(reason: "depth \(depth), 0 idle: at maximum \(configuration.maximum)")
    }
    let demand = depth + inFlight - total
    guard demand > 0 else {
      return .hold(
        reason: "depth \(depth), 0 idle: \(total) children cover \(depth + inFlight) tasks")
    }
    let step = min(self.step, configuration.maximumStep)
    let count = min(step, headroom, demand)
    self.step = min(step * 2, configuration.maximumStep)
    lastScaleUp = now
    return .spawn(count: count, reason: "depth \(depth), 0 idle: +\(count) (step \(step))")
  }

  private mutating func scaleDown(busy: Int, idle: Int, total: Int, now: MonotonicTime)
    -> ScalingDecision
  {
    step = 1
    let surplus = min(idle, total - configuration.minimum)
    guard surplus > 0 else {
      surplusSince = nil
      if idle == 0 {
        return .hold(reason: "depth 0, \(busy) busy, 0 idle: hold")
      }
      return .hold(reason: "depth 0, \(idle) idle, at minimum \(configuration.minimum): hold")
    }
    let since = surplusSince ?? now
    surplusSince = since
    var due = since + configuration.scaleDownCooldown
    if let lastScaleUp {
      due = max(due, lastScaleUp + configuration.scaleDownCooldown)
    }
    if let lastScaleDown {
      due = max(due, lastScaleDown + configuration.scaleDownInterval)
    }
    guard now >= due else {
      return .hold(
        reason: "depth 0, \(idle) idle: retire in \((due - now).shortDescription)")
    }
    let count = min(configuration.scaleDownStep, surplus)
    lastScaleDown = now
    return .retire(
      count: count,
      reason: "depth 0, \(idle) idle for \((now - since).shortDescription): -\(count)")
  }
}
