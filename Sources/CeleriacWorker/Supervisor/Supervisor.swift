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

  // MARK: What it was given

  var configuration: WorkerConfiguration
  let registry: TaskRegistry
  /// Opens the broker and backend; called by ``run()`` once the first children are spawning.
  let connect: @Sendable () throws -> Connection
  let spawner: any ProcessSpawner
  let signals: any SignalSource
  let executablePath: String
  let childArguments: [String]
  let reloadConfiguration: ConfigurationLoader?
  let consumer: ConsumerIdentity
  var logger: Logger
  /// The task the supervisor is logging about (see ``withTaskMetadata(_:child:_:)``).
  let taskLogContext = TaskLogContext()
  let clock = ContinuousClock()
  /// Where the policies' ``MonotonicTime`` starts.
  let origin = ContinuousClock.now
  let startedAt = Date()

  // MARK: The broker

  var connection: Connection?
  /// The broker (only after ``run()`` connected).
  var broker: any Broker { connected.broker }
  /// The result backend (only after ``run()`` connected).
  var backend: any ResultBackend { connected.backend }
  private var connected: Connection {
    guard let connection else { preconditionFailure("the broker is used before run() connected") }
    return connection
  }
  /// Readable when the broker may have new tasks (nil: the broker offers none; poll instead).
  var brokerChanges: (any ChangeSignal)?
  var brokerHealth = BrokerHealth()
  var depthReads = DepthReadSchedule()
  /// Celery's remote control (`celery inspect`, Flower), on brokers that offer it.
  var controlChannel: (any ControlChannel)?
  var nextControlPoll: ContinuousClock.Instant
  /// When the lease was last renewed; reserved tasks are started only under a fresh lease.
  var leaseRenewedAt: ContinuousClock.Instant
  var nextHousekeeping: ContinuousClock.Instant
  var idlePollInterval: Duration = .zero

  // MARK: Pools and children

  var pools = PoolTable()
  var children = ChildTable()
  var generation = 0

  // MARK: Outcomes

  var pending = PendingWrites()
  var groupCommit = GroupCommit()
  var totals = TaskTotals()
  /// Task ids this worker saw revoked (remote `revoke`, or refused at claim), for `revoked`.
  var revokedTaskIDs = RecentTaskIDs()
  var rateLimits = WorkerRateLimits()

  // MARK: Reporting

  var systemd: SystemdReporter
  var events: EventRecorder
  /// What ``SupervisorMetrics`` recorded handles for (used only with `recordsMetrics`).
  var metrics = SupervisorMetrics()

  // MARK: Life cycle

  var runState = RunState.running
  var reloadInProgress = false
  var interruptCount = 0
  var signalFD: Int32 = -1
  var exitStatus = ExitStatus.clean
  var exitReason: String?
  /// Why ``run()`` returned ``ExitStatus/brokerUnavailable``, in one line.
  public internal(set) var startupError: String?
  /// Told of what the loop does, for tests that await it (nil in production).
  let probe: SupervisorProbe?

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
    signals: any SignalSource = ProcessSignals(),
    reloadConfiguration: ConfigurationLoader? = nil, probe: SupervisorProbe? = nil
  ) {
    self.configuration = configuration
    self.registry = registry
    self.connect = connect
    self.spawner = spawner
    self.signals = signals
    self.probe = probe
    self.executablePath = executablePath
    self.childArguments = childArguments
    self.reloadConfiguration = reloadConfiguration
    self.logger = Self.addingTaskMetadata(to: logger, from: taskLogContext)
    let suffix = UUID().uuidString.prefix(8).lowercased()
    self.consumer = ConsumerIdentity(
      id: "\(configuration.hostname).\(getpid()).\(suffix)", lease: configuration.lease)
    let now = clock.now
    nextHousekeeping = now
    leaseRenewedAt = now
    nextControlPoll = now
    systemd = SystemdReporter(now: now)
    events = EventRecorder(hostname: configuration.hostname, now: now)
  }

  /// Runs until shutdown and returns how it ended.
  public func run() -> ExitStatus {
    do {
      signalFD = try signals.open()
    } catch {
      startupError = "\(error)"
      return .brokerUnavailable
    }
    pools = PoolTable(configuration.pools.map(makePoolState))
    spawnInitialChildren()
    switch openBroker() {
    case .opened:
      break
    case .gaveUp:
      killAllChildren()
      return .brokerUnavailable
    case .stopped:
      killAllChildren()
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
    brokerChanges?.close()
    brokerChanges = nil
    publishWorkerStatus(state: .stopped)
    logger.info(
      "supervisor exiting (\(exitStatus)): \(totals.succeeded) succeeded, \(totals.failed) failed")
    probe?.post(.exited(exitStatus))
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
    for pool in pools { fillSlots(of: pool, now: now) }
  }

  /// Kills every child at once (the broker never opened: nothing runs yet). The kernel
  /// reaps them after this process exits (PR_SET_PDEATHSIG ends any that outlive it).
  func killAllChildren() {
    for child in children.all { spawner.signal(child.pid, SIGKILL) }
  }

  /// One turn of the loop: wait for something to happen, then act on everything that did.
  func turn() {
    let ready = waitForEvents(timeout: nextTimeout())
    handleSignals()
    readChildMessages(from: ready)
    reapExitedChildren(ready)
    serveRemoteControl()
    enforceHeartbeatsAndTimeLimits()
    if case .running = runState { dispatchReserved() }
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
    if let reason = systemd.notifier.unavailableReason {
      logger.error("systemd started this worker but cannot be told of it: \(reason)")
    }
  }
}
