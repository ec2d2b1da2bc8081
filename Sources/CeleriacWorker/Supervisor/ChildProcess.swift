import CeleriacCore

/// The supervisor's record of one child process. Owned by the supervisor's loop thread.
final class ChildProcess {
  /// Where a child is in its life.
  enum Phase: String {
    /// Spawned, not yet `ready`.
    case starting
    /// Ready and holding no task.
    case idle
    /// Running the task in ``ChildProcess/assignment``.
    case busy
    /// Told to exit, or being killed; it takes no more tasks.
    case stopping
  }

  /// Why the supervisor ended a child itself, decided before the exit is seen.
  enum EndReason: Equatable {
    /// Retired, recycled, or shut down: not a crash.
    case planned
    /// It stopped heartbeating.
    case hung
    /// Its task passed the hard time limit.
    case timeLimit(seconds: Double)
    /// Cold shutdown.
    case coldShutdown
    /// Its task was revoked with `terminate` (remote control).
    case terminated
  }

  /// A task a child is running.
  struct Assignment {
    let delivery: Delivery
    let startedAt: ContinuousClock.Instant
    let hardDeadline: ContinuousClock.Instant?
  }

  /// How long the loop waits for a child to take a command before it gives up on the child:
  /// a stopped child with a full socket must not hold every other pool.
  static let sendTimeout: Duration = .seconds(1)

  let pid: Int32
  let channel: LineChannel
  let exitFD: Int32
  let poolName: String
  let slot: Int
  let generation: Int
  let spawnedAt: ContinuousClock.Instant
  var phase: Phase = .starting
  var assignment: Assignment?
  var lastHeartbeat: ContinuousClock.Instant
  var tasksCompleted = 0
  var everReady = false
  /// Exit after the current task (recycling, retirement, reload, warm shutdown).
  var retireAfterTask = false
  var endReason: EndReason?
  /// When to escalate SIGABRT to SIGKILL.
  var killDeadline: ContinuousClock.Instant?

  init(
    process: SpawnedProcess, poolName: String, slot: Int, generation: Int,
    now: ContinuousClock.Instant
  ) {
    self.pid = process.pid
    self.channel = LineChannel(fd: process.socketFD, sendTimeout: ChildProcess.sendTimeout)
    self.exitFD = process.exitFD
    self.poolName = poolName
    self.slot = slot
    self.generation = generation
    self.spawnedAt = now
    self.lastHeartbeat = now
  }

  /// Whether it counts toward its pool's size (not on its way out).
  var isActive: Bool { phase != .stopping && !retireAfterTask }

  /// Whether it can take a task now: idle and not about to be retired.
  var isAvailable: Bool { phase == .idle && !retireAfterTask }
}
