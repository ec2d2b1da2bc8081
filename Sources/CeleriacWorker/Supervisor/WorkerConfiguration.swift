import CeleriacCore

/// The children that serve one queue (or a group of queues), between a minimum and a maximum.
public struct PoolConfiguration: Sendable, Equatable {
  /// The pool's name, shown in logs and status (its queues joined by `+`).
  public var name: String
  /// The queues its children take tasks from, in priority order.
  public var queues: [String]
  /// The fewest children.
  public var minimum: Int
  /// The most children; equal to `minimum` for a fixed pool.
  public var maximum: Int

  /// A pool for `queues` with `minimum...maximum` children.
  public init(queues: [String], minimum: Int, maximum: Int) {
    self.name = queues.joined(separator: "+")
    self.queues = queues
    self.minimum = minimum
    self.maximum = maximum
  }

  /// Whether the pool autoscales.
  public var autoscales: Bool { maximum > minimum }
}

/// Everything `celeriac worker` is tuned with. Every default is a named constant.
public struct WorkerConfiguration: Sendable {
  /// Children per pool when nothing is said (Celery's default is the CPU count; a fixed 2 keeps
  /// memory predictable on small machines).
  public static let defaultConcurrency = 2
  /// How often a child sends a heartbeat.
  public static let defaultHeartbeatInterval: Duration = .seconds(1)
  /// How long a child may go without a heartbeat before it is killed as hung.
  public static let defaultChildTimeout: Duration = .seconds(30)
  /// How long a warm shutdown waits for running tasks before handling them as lost.
  public static let defaultGracefulTimeout: Duration = .seconds(60)
  /// How long after SIGABRT a hung child gets before SIGKILL.
  public static let defaultKillGrace: Duration = .seconds(2)
  /// The longest pause between two claims while children are idle and the queue is empty.
  public static let defaultMaximumPollInterval: Duration = .milliseconds(20)
  /// The first pause after a claim found the queues empty; it doubles up to the maximum.
  public static let firstPollInterval: Duration = .microseconds(250)
  /// The longest pause between claims when the broker signals changes (a safety net only).
  public static let signalledPollInterval: Duration = .milliseconds(250)
  /// How often the supervisor renews its lease and looks for abandoned tasks.
  public static let defaultHousekeepingInterval: Duration = .seconds(5)
  /// Tasks the supervisor reserves per child of a pool (never handed to a busy child).
  public static let defaultPrefetchMultiplier = 4
  /// The most children one pool may have (`--concurrency`, autoscale MAX).
  public static let maximumPoolSize = 1_000
  /// The highest `--prefetch-multiplier` accepted.
  public static let maximumPrefetchMultiplier = 1_000
  /// How often the pools' counts and queue depths are read and published (systemd's STATUS
  /// when it changes, the broker's worker status for `celeriac inspect`): twice a second, so
  /// what an operator reads is never more than about half a second old (two cheap broker
  /// calls a turn at most that often).
  public static let defaultStatusInterval: Duration = .milliseconds(500)
  /// How long a published worker status lives in the broker: a supervisor that stops
  /// publishing (killed, or stuck on its broker) drops out of `celeriac inspect` after this.
  public static let defaultStatusLifetime: Duration = .seconds(6)
  /// How long a supervisor whose broker does not answer at start-up keeps trying before it
  /// exits (Celery's `broker_connection_retry_on_startup`); zero: give up at once.
  public static let defaultBrokerStartupTimeout: Duration = .seconds(300)
  /// The first and the longest pause between two start-up connection attempts.
  public static let brokerRetryBackoff = RestartBackoff(
    minimum: .milliseconds(200), maximum: .seconds(10), jitter: .equal)
  /// The most dead letters kept (the oldest are deleted first).
  public static let defaultDeadLetterLimit = 10_000
  /// How long a dead letter is kept: seven days.
  public static let defaultDeadLetterRetention: Duration = .seconds(7 * 86_400)

  /// The pools, one per queue group.
  public var pools: [PoolConfiguration]
  /// The node name, e.g. `worker1@host`.
  public var hostname: String
  /// Replace a child after it ran this many tasks.
  public var maxTasksPerChild: Int?
  /// Replace a child whose peak resident memory (`ru_maxrss`) exceeds this many KiB after a task.
  public var maxMemoryPerChildKiB: Int?
  /// Hard time limit in seconds for tasks that set none.
  public var timeLimit: Double?
  /// Soft time limit in seconds for tasks that set none.
  public var softTimeLimit: Double?
  /// See ``defaultPrefetchMultiplier``; 0 claims only for idle children.
  public var prefetchMultiplier = defaultPrefetchMultiplier
  /// See ``defaultHeartbeatInterval``.
  public var heartbeatInterval = defaultHeartbeatInterval
  /// See ``defaultChildTimeout``.
  public var childTimeout = defaultChildTimeout
  /// See ``defaultGracefulTimeout``.
  public var gracefulTimeout = defaultGracefulTimeout
  /// See ``defaultKillGrace``.
  public var killGrace = defaultKillGrace
  /// See ``defaultMaximumPollInterval``.
  public var maximumPollInterval = defaultMaximumPollInterval
  /// See ``defaultHousekeepingInterval``.
  public var housekeepingInterval = defaultHousekeepingInterval
  /// How long a claim stays valid without renewal.
  public var lease = ConsumerIdentity.defaultLease
  /// How long results are kept.
  public var resultExpiry = defaultResultExpiry
  /// Restart backoff and crash-loop limits.
  public var restart = RestartPolicyConfiguration.standard
  /// How often autoscaling pools sample their queue depth.
  public var autoscaleInterval = AutoscalerConfiguration.defaultSampleInterval
  /// The largest number of children an autoscaling pool adds in one step.
  public var autoscaleMaximumStep = AutoscalerConfiguration.defaultMaximumStep
  /// How long after its last scale-up a pool waits before retiring an idle child.
  public var scaleDownCooldown = AutoscalerConfiguration.defaultScaleDownCooldown
  /// How long a shrinking pool waits between two retirements.
  public var scaleDownInterval = AutoscalerConfiguration.defaultScaleDownInterval
  /// See ``defaultBrokerStartupTimeout``.
  public var brokerStartupTimeout = defaultBrokerStartupTimeout
  /// See ``defaultDeadLetterLimit``.
  public var deadLetterLimit = defaultDeadLetterLimit
  /// See ``defaultDeadLetterRetention``.
  public var deadLetterRetention = defaultDeadLetterRetention
  /// Send Celery's task and worker events (`-E`), for `celery events` and Flower.
  public var sendsTaskEvents = false
  /// Whether the supervisor records its metrics (``SupervisorMetrics``) through swift-metrics
  /// (`--metrics-port`); off, it records nothing at all.
  public var recordsMetrics = false

  /// Creates a configuration with every default.
  public init(
    pools: [PoolConfiguration] = [
      PoolConfiguration(
        queues: [TaskOptions.defaultQueue], minimum: defaultConcurrency,
        maximum: defaultConcurrency)
    ],
    hostname: String = WorkerConfiguration.defaultHostname()
  ) {
    self.pools = pools
    self.hostname = hostname
  }

  /// `celeriac@<host name>`.
  public static func defaultHostname() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count)
    let name = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return "celeriac@" + String(decoding: name, as: UTF8.self)
  }

  /// Every queue served, in pool order.
  public var allQueues: [String] { pools.flatMap(\.queues) }
}

#if canImport(Glibc)
  import Glibc
#endif
