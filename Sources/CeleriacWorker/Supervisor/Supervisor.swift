import CShims
import Celeriac
import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// The main process of `celeriac worker`: owns the pools, the broker connection and the
/// systemd notifications.
///
/// Like gunicorn's arbiter, everything happens on one thread in one loop: signal handlers only
/// enqueue (``SignalQueue``), and each turn of ``run()`` polls, then handles signals, reads
/// child messages, reaps exits, enforces heartbeats and time limits, stores outcomes, hands
/// tasks to idle children, resizes the pools and does periodic housekeeping — each a small
/// named method. Children are spawned from this thread only (PR_SET_PDEATHSIG follows the
/// spawning thread).
public final class Supervisor {
  /// How the supervisor ended; its raw value is the process exit status.
  public enum ExitStatus: Int32, Sendable {
    /// Warm or cold shutdown completed.
    case clean = 0
    /// A pool's children kept crashing early for longer than the crash-loop window.
    case crashLoop = 3
    /// Children could not even boot.
    case bootFailure = 4
    /// The broker could not be reached at start-up.
    case brokerUnavailable = 5
  }

  /// Builds a new configuration on SIGHUP (re-reading the config file and flags).
  public typealias ConfigurationLoader = @Sendable () throws -> WorkerConfiguration

  enum RunState: Equatable {
    case running
    case warmShutdown(deadline: ContinuousClock.Instant)
    case coldShutdown
  }

  var configuration: WorkerConfiguration
  let registry: TaskRegistry
  /// Opens the broker and backend; called by ``run()`` once the first children are spawning.
  let connect: @Sendable () throws -> Connection
  var connection: Connection?
  /// The broker (only after ``run()`` connected).
  var broker: any Broker { connected.broker }
  /// The result backend (only after ``run()`` connected).
  var backend: any ResultBackend { connected.backend }
  private var connected: Connection {
    guard let connection else { preconditionFailure("the broker is used before run() connected") }
    return connection
  }
  let spawner: any ProcessSpawner
  let executablePath: String
  let childArguments: [String]
  let reloadConfiguration: ConfigurationLoader?
  let consumer: ConsumerIdentity
  let notifier = SystemdNotifier()
  var logger: Logger
  let clock = ContinuousClock()
  /// Where the policies' ``MonotonicTime`` starts.
  let origin = ContinuousClock.now

  var pools: [PoolState] = []
  var children: [Int32: ChildProcess] = [:]
  var generation = 0
  var runState = RunState.running
  var exitStatus = ExitStatus.clean
  var exitReason: String?
  var signalFD: Int32 = -1
  /// Readable when the broker may have new tasks (nil: the broker offers none; poll instead).
  var brokerChanges: (any ChangeSignal)?
  var pending = PendingWrites()
  /// Per-worker rate limits (``RateLimiter``).
  var rateLimiter = RateLimiter()
  /// Rate limits set by remote control, by task name (registered names only).
  var rateLimitOverrides: [String: RateLimitSetting] = [:]
  /// When deferred rate-limited tasks are due again: the loop wakes then to claim them.
  var rateLimitWakeups: [ContinuousClock.Instant] = []
  var idlePollInterval: Duration = .zero
  var announcedReady = false
  var reloadInProgress = false
  var nextHousekeeping: ContinuousClock.Instant
  /// When the lease was last renewed; reserved tasks are started only under a fresh lease.
  var leaseRenewedAt: ContinuousClock.Instant
  var nextStatus: ContinuousClock.Instant
  var nextWatchdog: ContinuousClock.Instant
  var nextTimeoutExtension: ContinuousClock.Instant
  var lastStatus = ""
  var interruptCount = 0
  var brokerHealth = BrokerHealth()
  /// Why ``run()`` returned ``ExitStatus/brokerUnavailable``, in one line.
  public internal(set) var startupError: String?
  var tasksSucceeded = 0
  var tasksFailed = 0
  let startedAt = Date()
  /// Celery's remote control (`celery inspect`, Flower), on brokers that offer it.
  var controlChannel: (any ControlChannel)?
  var nextControlPoll: ContinuousClock.Instant
  /// Task ids this worker saw revoked (remote `revoke`, or refused at claim), for `revoked`.
  var revokedTaskIDs = RecentTaskIDs()
  /// Tasks handed to a child, by name (registered names only): Celery's `stats.total`.
  var tasksStartedByName: [String: Int] = [:]
  /// What ``SupervisorMetrics`` recorded handles for (used only with `recordsMetrics`).
  var metrics = SupervisorMetrics()
  /// Celery's events (`-E`): whether they are sent, the recorded ones, their Lamport clock.
  var eventsEnabled = false
  var pendingEvents: [WorkerEvent] = []
  var eventClock = 0
  var nextEventHeartbeat: ContinuousClock.Instant
  /// When held events may be sent next (see ``eventFlushInterval``).
  var nextEventFlush: ContinuousClock.Instant

  /// Creates a supervisor; nothing starts until ``run()``.
  ///
  /// - Parameters:
  ///   - connect: opens the broker and backend. It runs after the first children are spawned,
  ///     so that their start-up overlaps with opening the broker.
  ///   - executablePath: the binary children are spawned from; read from disk at each spawn,
  ///     so a reload picks up a new build.
  ///   - childArguments: the arguments that make that binary a child (e.g. `["_child"]`).
  public init(
    configuration: WorkerConfiguration, registry: TaskRegistry,
    connect: @escaping @Sendable () throws -> Connection, executablePath: String,
    childArguments: [String], logger: Logger,
    spawner: any ProcessSpawner = PosixProcessSpawner(),
    reloadConfiguration: ConfigurationLoader? = nil
  ) {
    self.configuration = configuration
    self.registry = registry
    self.connect = connect
    self.spawner = spawner
    self.executablePath = executablePath
    self.childArguments = childArguments
    self.reloadConfiguration = reloadConfiguration
    self.logger = logger
    let suffix = UUID().uuidString.prefix(8).lowercased()
    self.consumer = ConsumerIdentity(
      id: "\(configuration.hostname).\(getpid()).\(suffix)", lease: configuration.lease)
    let now = clock.now
    nextHousekeeping = now
    leaseRenewedAt = now
    nextStatus = now
    nextWatchdog = now
    nextTimeoutExtension = now
    nextControlPoll = now
    nextEventHeartbeat = now
    nextEventFlush = now
  }

  /// Runs until shutdown and returns how it ended.
  public func run() -> ExitStatus {
    do {
      signalFD = try SignalQueue.install()
    } catch {
      startupError = "\(error)"
      return .brokerUnavailable
    }
    pools = configuration.pools.map(makePoolState)
    spawnInitialChildren()
    switch openBroker() {
    case .opened:
      break
    case .gaveUp:
      for child in children.values { kill(child.pid, SIGKILL) }
      return .brokerUnavailable
    case .stopped:
      for child in children.values { kill(child.pid, SIGKILL) }
      logger.info("supervisor exiting (clean): stopped while waiting for the broker")
      return .clean
    }
    logStartup()
    while !isFinished {
      turn()
    }
    flushPendingWrites()
    setEvents(false)
    controlChannel?.close()
    publishWorkerStatus(state: .stopped)
    logger.info(
      "supervisor exiting (\(exitStatus)): \(tasksSucceeded) succeeded, \(tasksFailed) failed")
    return exitStatus
  }

  /// Logs a failed broker or backend call once per outage (see ``BrokerHealth``).
  func brokerFailed(_ operation: String, _ error: any Error) {
    let wasDown = brokerHealth.isDown
    if let line = brokerHealth.failed(operation, error, now: clock.now) { logger.error("\(line)") }
    recordBrokerHealth(up: false, outageStarted: !wasDown)
  }

  /// Notes a successful broker call; logs the end of an outage.
  func brokerSucceeded() {
    if brokerHealth.isDown, let line = brokerHealth.succeeded(now: clock.now) {
      logger.notice("\(line)")
    }
    recordBrokerHealth(up: true, outageStarted: false)
  }

  /// Spawns every pool's first children before the broker is opened.
  func spawnInitialChildren() {
    let now = clock.now
    for index in pools.indices { fillSlots(poolIndex: index, now: now) }
  }

  /// One turn of the loop: wait for something to happen, then act on everything that did.
  func turn() {
    let ready = waitForEvents(timeout: nextTimeout())
    handleSignals()
    readChildMessages(from: ready)
    reapExitedChildren(ready)
    serveRemoteControl()
    enforceHeartbeatsAndTimeLimits()
    flushPendingWrites()
    publishEvents()
    if case .running = runState { dispatchTasks() }
    maintainPools()
    advanceShutdown()
    performHousekeeping()
    reportToSystemd()
    updatePoolMetrics()
  }

  /// Whether the loop is done: shutting down and every child is gone.
  var isFinished: Bool {
    if case .running = runState { return false }
    return children.isEmpty
  }

  func makePoolState(_ pool: PoolConfiguration) -> PoolState {
    let now = clock.now
    let autoscaler = pool.autoscales ? makeAutoscaler(pool) : nil
    return PoolState(
      configuration: pool, target: pool.minimum,
      restartPolicy: RestartPolicy(configuration: configuration.restart),
      autoscaler: autoscaler, nextAutoscaleSample: now)
  }

  /// The autoscaler for `pool`; the command line validated the bounds already.
  func makeAutoscaler(_ pool: PoolConfiguration) -> Autoscaler? {
    do {
      return Autoscaler(
        configuration: try AutoscalerConfiguration(
          minimum: pool.minimum, maximum: pool.maximum,
          maximumStep: configuration.autoscaleMaximumStep,
          scaleDownCooldown: configuration.scaleDownCooldown,
          scaleDownInterval: configuration.scaleDownInterval,
          sampleInterval: configuration.autoscaleInterval))
    } catch {
      logger.error("\(pool.name): autoscaling off: \(error)")
      return nil
    }
  }

  /// `now` for the policies.
  func policyTime(_ instant: ContinuousClock.Instant) -> MonotonicTime {
    MonotonicTime(instant, since: origin)
  }

  func logStartup() {
    let poolText = configuration.pools.map { pool in
      pool.autoscales
        ? "\(pool.name) [\(pool.minimum)..\(pool.maximum)]" : "\(pool.name) [\(pool.minimum)]"
    }.joined(separator: ", ")
    logger.info(
      "\(configuration.hostname) ready to serve \(poolText); broker \(broker.redactedURL), backend \(backend.redactedURL), \(registry.names.count) tasks registered"
    )
  }
}
