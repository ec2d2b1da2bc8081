import CeleriacCore

/// Why a child exited, as far as restart policy is concerned. The supervisor classifies.
public enum ChildExitKind: Sendable, Hashable {
  /// The child died unexpectedly after it had reported ready (signal, non-zero exit, killed
  /// for hanging or a hard time limit).
  case crash
  /// The child exited before it ever reported ready: it could not boot (bad binary, failing
  /// start-up).
  case bootFailure
  /// An exit the supervisor asked for or expected: recycling after max-tasks-per-child or the
  /// memory limit, retirement by the autoscaler or TTOU, reload, shutdown. Never counts as a
  /// failure.
  case planned
}

/// What the supervisor should do about a slot whose child exited.
public enum RestartDecision: Sendable, Hashable {
  /// Start a new child in the slot after this delay (`.zero` for a planned exit). The
  /// supervisor may still leave the slot empty if it retired it.
  case restart(after: Duration)
  /// Stop restarting: the pool is in a crash loop or cannot boot. `reason` is one line; the
  /// supervisor logs it (prefixed with the pool) and exits with its crash-loop exit code.
  case giveUp(reason: String)
}

/// Restart backoff and crash-loop detection for the children of one pool.
///
/// A pure value: no clock, no processes. The supervisor keeps one per pool, tells it about
/// spawns, readiness and exits with the time as a ``MonotonicTime``, and acts on the
/// ``RestartDecision`` of each exit.
///
/// Rules, with the settings of ``RestartPolicyConfiguration``:
/// - **Backoff per slot.** Each failure (crash or boot failure) of a slot's child adds one to the
///   slot's failure count `n`; the restart waits ``RestartBackoff/delay(attempt:using:)`` for
///   attempt `n`: `minimumBackoff` doubling up to `maximumBackoff`, with jitter.
/// - **Reset.** A child that was up at least `stableUptime` when it exited (crash or planned)
///   resets its slot's count first, so its own crash restarts after `minimumBackoff` again.
/// - **Crash loop.** An *early* failure is one with uptime below `stableUptime`, or any boot
///   failure. The policy gives up when early failures have kept coming for at least
///   `crashLoopWindow` (and number at least `crashLoopMinimumFailures`) with no sign of a stable
///   child in the pool since the first of them. Signs of a stable child: an exit with uptime of
///   at least `stableUptime`, or a child that is still alive, has reported ready and was spawned
///   at least `stableUptime` ago (this needs ``recordSpawn(slot:now:)`` and
///   ``recordReady(slot:now:)``).
/// - **Boot failures.** After `maxBootFailures` boot failures in the pool with no child reporting
///   ready in between, the policy gives up with a reason naming boot failure. Until then they
///   back off like crashes.
/// - **Planned exits** change no count (though a stable uptime still resets the slot) and
///   restart after `.zero`.
/// - Once the policy has given up, every later exit gets the same ``RestartDecision/giveUp(reason:)``.
public struct RestartPolicy: Sendable {
  /// The settings in use.
  public let configuration: RestartPolicyConfiguration
  /// The reason the policy gave up, or `nil` while it has not.
  public private(set) var giveUpReason: String?
  /// Consecutive boot failures in the pool since a child last reported ready.
  public private(set) var consecutiveBootFailures = 0

  private var failuresBySlot: [Int: Int] = [:]
  private var liveChildren: [Int: LiveChild] = [:]
  private var crashLoop: CrashLoopDetector
  private let backoff: RestartBackoff

  private struct LiveChild: Sendable, Hashable {
    var spawnedAt: MonotonicTime
    var ready: Bool
  }

  /// A policy with no history.
  public init(configuration: RestartPolicyConfiguration = .standard) {
    self.configuration = configuration
    self.backoff = configuration.backoff
    self.crashLoop = CrashLoopDetector(
      window: configuration.crashLoopWindow,
      minimumFailures: configuration.crashLoopMinimumFailures)
  }

  /// The failures of `slot` since its last stable child: the attempt number its next restart
  /// used, `0` for a slot with no failures.
  public func consecutiveFailures(slot: Int) -> Int {
    failuresBySlot[slot, default: 0]
  }

  /// A child was spawned in `slot` at `now`. Lets the policy see a long-running child of the
  /// pool as stable while another slot fails.
  public mutating func recordSpawn(slot: Int, now: MonotonicTime) {
    liveChildren[slot] = LiveChild(spawnedAt: now, ready: false)
  }

  /// The child in `slot` reported ready at `now`: the pool can boot, so the boot-failure count
  /// goes back to zero.
  public mutating func recordReady(slot: Int, now: MonotonicTime) {
    liveChildren[slot, default: LiveChild(spawnedAt: now, ready: false)].ready = true
    consecutiveBootFailures = 0
  }

  /// Forgets `slot` entirely (the autoscaler retired it and no child runs there any more).
  public mutating func forgetSlot(_ slot: Int) {
    failuresBySlot[slot] = nil
    liveChildren[slot] = nil
  }

  /// Records that the child in `slot` exited at `now` after running for `uptime` (from spawn),
  /// and decides what to do; jitter is drawn from the system's random source.
  public mutating func recordExit(
    slot: Int, kind: ChildExitKind, uptime: Duration, now: MonotonicTime
  ) -> RestartDecision {
    var generator = SystemRandomNumberGenerator()
    return recordExit(slot: slot, kind: kind, uptime: uptime, now: now, using: &generator)
  }

  /// Records that the child in `slot` exited at `now` after running for `uptime` (from spawn),
  /// and decides what to do; jitter is drawn from `generator` (pass a fixed one in tests).
  public mutating func recordExit(
    slot: Int, kind: ChildExitKind, uptime: Duration, now: MonotonicTime,
    using generator: inout some RandomNumberGenerator
  ) -> RestartDecision {
    liveChildren[slot] = nil
    if let giveUpReason {
      return .giveUp(reason: giveUpReason)
    }
    let stable = kind != .bootFailure && uptime >= configuration.stableUptime
    if stable {
      failuresBySlot[slot] = 0
    }
    if stable || hasStableLiveChild(now: now) {
      crashLoop.recordStable()
    }
    switch kind {
    case .planned:
      return .restart(after: .zero)
    case .crash:
      consecutiveBootFailures = 0
    case .bootFailure:
      consecutiveBootFailures += 1
    }
    let attempt = failuresBySlot[slot, default: 0] + 1
    failuresBySlot[slot] = attempt
    if kind == .bootFailure && consecutiveBootFailures >= configuration.maxBootFailures {
      return giveUp(
        "boot failure: \(consecutiveBootFailures) children in a row exited before reporting "
          + "ready (last in slot \(slot) after \(uptime.shortDescription))")
    }
    if !stable,
      let reason = crashLoop.recordEarlyFailure(
        now: now, stableUptime: configuration.stableUptime)
    {
      return giveUp(reason)
    }
    return .restart(after: backoff.delay(attempt: attempt, using: &generator))
  }

  private func hasStableLiveChild(now: MonotonicTime) -> Bool {
    liveChildren.values.contains { child in
      child.ready && now - child.spawnedAt >= configuration.stableUptime
    }
  }

  private mutating func giveUp(_ reason: String) -> RestartDecision {
    giveUpReason = reason
    return .giveUp(reason: reason)
  }
}
