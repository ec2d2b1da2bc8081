import Celeriac
import CeleriacCore
import CeleriacWorker

/// Every setting of `celeriac worker`, each declared once (see ``WorkerSetting``).
///
/// To add a setting: declare it here (key, kind, default from a named constant, summary, where
/// its flag's value is, where its value goes), add it to ``all``, give ``WorkerOptions`` (or the
/// option group it belongs to) the `@Option` that takes its names and help from the
/// declaration, and run `celeriac settings --markdown` to refresh the README table (a test
/// fails until the table matches).
enum WorkerSettings {
  /// Every setting, in the order of the help and the README table.
  static let all: [WorkerSetting] = [
    queues, concurrency, autoscale, autoscaleInterval, scaleUpStep, scaleDownCooldown,
    scaleDownInterval, prefetchMultiplier, maxTasksPerChild, maxMemoryPerChild, softTimeLimit,
    timeLimit, heartbeatInterval, childTimeout, gracefulTimeout, restartBackoffMin,
    restartBackoffMax, stableUptime, crashLoopWindow, lease, resultExpires,
    brokerStartupTimeout, deadLetterLimit, deadLetterRetention, taskEvents, hostname, broker,
    backend, loglevel, logFormat, metricsPort, metricsAddress,
  ]

  /// The setting with this key (long flag name, config-file key), if any.
  static func named(_ key: String) -> WorkerSetting? { all.first { $0.key == key } }

  // MARK: - Pools

  static let queues: WorkerSetting = WorkerSetting(
    key: "queues", short: "Q", environment: "CELERIAC_QUEUES", kind: .names, valueName: "a,b",
    summary: "Comma-separated queues, one pool each",
    defaultText: "`\(TaskOptions.defaultQueue)`",
    flag: { $0.worker.queues.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.queues = value.list })

  static let concurrency: WorkerSetting = .count(
    "concurrency", 1...WorkerConfiguration.maximumPoolSize,
    default: WorkerConfiguration.defaultConcurrency, short: "c",
    environment: "CELERIAC_CONCURRENCY", summary: "Children per pool (fixed size)",
    flag: \.worker.concurrency, into: \.concurrency)

  static let autoscale: WorkerSetting = WorkerSetting(
    key: "autoscale", short: nil, environment: nil, kind: .repeated, valueName: "[queue=]max,min",
    summary:
      "Autoscale pools between MIN and MAX children, Celery's order: MAX,MIN for every pool, or QUEUE=MAX,MIN for one (repeatable)",
    defaultText: nil,
    flag: { $0.worker.autoscale.isEmpty ? nil : .texts($0.worker.autoscale) },
    apply: { value, settings in settings.autoscale = value.list })

  static let autoscaleInterval: WorkerSetting = .duration(
    "autoscale-interval", default: AutoscalerConfiguration.defaultSampleInterval,
    summary: "Seconds between queue-depth samples of autoscaling pools",
    flag: \.worker.autoscaleInterval, into: \.configuration.autoscaleInterval)

  static let scaleUpStep: WorkerSetting = .count(
    "scale-up-step", 1...WorkerConfiguration.maximumPoolSize,
    default: AutoscalerConfiguration.defaultMaximumStep,
    summary: "Most children an autoscaling pool adds in one step",
    flag: \.worker.scaleUpStep, into: \.configuration.autoscaleMaximumStep)

  static let scaleDownCooldown: WorkerSetting = .duration(
    "scale-down-cooldown", default: AutoscalerConfiguration.defaultScaleDownCooldown,
    summary:
      "Seconds after the last scale-up, and of continuous idle surplus, before idle children are retired",
    flag: \.worker.scaleDownCooldown, into: \.configuration.scaleDownCooldown)

  static let scaleDownInterval: WorkerSetting = .duration(
    "scale-down-interval", default: AutoscalerConfiguration.defaultScaleDownInterval,
    summary: "Seconds between two retirements while an autoscaling pool shrinks",
    flag: \.worker.scaleDownInterval, into: \.configuration.scaleDownInterval)

  static let prefetchMultiplier: WorkerSetting = .count(
    "prefetch-multiplier", 0...WorkerConfiguration.maximumPrefetchMultiplier,
    default: WorkerConfiguration.defaultPrefetchMultiplier,
    summary:
      "Tasks the supervisor claims ahead per child, held by the supervisor (never by a child) and handed to whichever child is idle first; 0 claims only for idle children",
    flag: \.worker.prefetchMultiplier, into: \.configuration.prefetchMultiplier)

  // MARK: - Children and their limits

  static let maxTasksPerChild: WorkerSetting = .count(
    "max-tasks-per-child", 1...Int.max,
    summary: "Replace a child after it ran this many tasks (not a crash)",
    flag: \.worker.maxTasksPerChild, into: \.configuration.maxTasksPerChild)

  static let maxMemoryPerChild: WorkerSetting = .count(
    "max-memory-per-child", 1...Int.max, valueName: "KiB",
    summary:
      "Replace a child whose peak resident memory (ru_maxrss, as Celery checks) exceeds this many KiB after a task (not a crash)",
    flag: \.worker.maxMemoryPerChild, into: \.configuration.maxMemoryPerChildKiB)

  static let softTimeLimit: WorkerSetting = .limit(
    "soft-time-limit",
    summary:
      "Soft time limit in seconds: the task is cancelled cooperatively (SoftTimeLimitExceeded)",
    flag: \.worker.softTimeLimit, into: \.configuration.softTimeLimit)

  static let timeLimit: WorkerSetting = .limit(
    "time-limit",
    summary:
      "Hard time limit in seconds: the child is killed and replaced, the task fails (TimeLimitExceeded)",
    flag: \.worker.timeLimit, into: \.configuration.timeLimit)

  static let heartbeatInterval: WorkerSetting = .duration(
    "heartbeat-interval", default: WorkerConfiguration.defaultHeartbeatInterval,
    summary: "Seconds between a child's heartbeats",
    flag: \.worker.heartbeatInterval, into: \.configuration.heartbeatInterval)

  static let childTimeout: WorkerSetting = .duration(
    "child-timeout", default: WorkerConfiguration.defaultChildTimeout,
    summary:
      "Seconds without a heartbeat before a child is hung: SIGABRT, SIGKILL 2 s later, replaced, its task lost",
    flag: \.worker.childTimeout, into: \.configuration.childTimeout)

  static let gracefulTimeout: WorkerSetting = .duration(
    "graceful-timeout", default: WorkerConfiguration.defaultGracefulTimeout,
    summary: "Seconds a warm shutdown waits for running tasks before handling them as lost",
    flag: \.worker.gracefulTimeout, into: \.configuration.gracefulTimeout)

  // MARK: - Restarts

  static let restartBackoffMin: WorkerSetting = .duration(
    "restart-backoff-min", default: RestartPolicyConfiguration.defaultMinimumBackoff,
    summary: "First restart delay in seconds after a child crashes (doubling with jitter)",
    flag: \.worker.restartBackoffMin, into: \.restartBackoffMin)

  static let restartBackoffMax: WorkerSetting = .duration(
    "restart-backoff-max", default: RestartPolicyConfiguration.defaultMaximumBackoff,
    summary: "Largest restart delay in seconds",
    flag: \.worker.restartBackoffMax, into: \.restartBackoffMax)

  static let stableUptime: WorkerSetting = .duration(
    "stable-uptime", default: RestartPolicyConfiguration.defaultStableUptime,
    summary: "Seconds a child must stay up for its slot's backoff to reset",
    flag: \.worker.stableUptime, into: \.stableUptime)

  static let crashLoopWindow: WorkerSetting = .duration(
    "crash-loop-window", default: RestartPolicyConfiguration.defaultCrashLoopWindow,
    summary:
      "Seconds of nothing but early crashes in a pool before the supervisor gives up (exit 3; 5 boot failures in a row: exit 4)",
    flag: \.worker.crashLoopWindow, into: \.crashLoopWindow)

  // MARK: - Broker

  static let lease: WorkerSetting = .duration(
    "lease", default: ConsumerIdentity.defaultLease,
    summary: "Seconds a claimed task stays owned without renewal; then it returns to its queue",
    flag: \.worker.lease, into: \.configuration.lease)

  static let resultExpires: WorkerSetting = .duration(
    "result-expires", default: defaultResultExpiry, summary: "Seconds results are kept",
    flag: \.worker.resultExpires, into: \.configuration.resultExpiry)

  static let brokerStartupTimeout: WorkerSetting = .duration(
    "broker-startup-timeout", .delay, default: WorkerConfiguration.defaultBrokerStartupTimeout,
    summary:
      "Seconds to keep trying, with backoff, a broker that does not answer at start-up (STATUS says so, systemd's start timeout is extended); 0 gives up at once (exit 5)",
    flag: \.worker.brokerStartupTimeout, into: \.configuration.brokerStartupTimeout)

  static let deadLetterLimit: WorkerSetting = .count(
    "dead-letter-limit", 0...Int.max, default: WorkerConfiguration.defaultDeadLetterLimit,
    summary: "Most dead letters kept, the oldest deleted first",
    flag: \.worker.deadLetterLimit, into: \.configuration.deadLetterLimit)

  static let deadLetterRetention: WorkerSetting = .duration(
    "dead-letter-retention", default: WorkerConfiguration.defaultDeadLetterRetention,
    summary: "Seconds a dead letter is kept",
    flag: \.worker.deadLetterRetention, into: \.configuration.deadLetterRetention)

  static let taskEvents: WorkerSetting = WorkerSetting(
    key: "task-events", short: "E", environment: nil, kind: .flag, valueName: "",
    summary:
      "Send Celery's task and worker events (celeriac events on both brokers; celery events and Flower on Redis)",
    defaultText: nil,
    flag: { $0.worker.taskEvents ? .given : nil },
    apply: { value, settings in settings.configuration.sendsTaskEvents = value.flag })

  static let hostname: WorkerSetting = WorkerSetting(
    key: "hostname", short: "n", environment: "CELERIAC_HOSTNAME", kind: .text,
    valueName: "name",
    summary: "Node name in logs, inspect and Celery's remote control",
    defaultText: "`celeriac@<host>`",
    flag: { $0.worker.hostname.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.hostname = value.text })

  static let broker: WorkerSetting = WorkerSetting(
    key: "broker", short: nil, environment: CeleriacConfiguration.brokerEnvironmentKey,
    kind: .text, valueName: "url",
    summary:
      "Broker URL: sqlite:///abs/path.db, sqlite://relative.db, redis://[user:pass@]host:port/db, rediss://…",
    defaultText: "`\(CeleriacConfiguration.defaultURL)` in the working directory",
    flag: { $0.connection.broker.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.broker = value.text })

  static let backend: WorkerSetting = WorkerSetting(
    key: "backend", short: nil, environment: CeleriacConfiguration.backendEnvironmentKey,
    kind: .text, valueName: "url", summary: "Result backend URL, same forms",
    defaultText: "the broker's",
    flag: { $0.connection.backend.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.backend = value.text })

  // MARK: - Logs and metrics

  static let loglevel: WorkerSetting = WorkerSetting(
    key: "loglevel", short: "l", environment: "CELERIAC_LOGLEVEL",
    kind: .choice(LogLevelArgument.allCases.map(\.rawValue) + ["warn"]), valueName: "level",
    summary: "Log level: debug, info, warning, error, critical",
    defaultText: LoggingOptions.defaultLevel.rawValue,
    flag: { $0.logging.logLevel.map(WorkerSettingInput.text) },
    apply: { value, settings in
      settings.logLevel = LogLevelArgument(argument: value.text) ?? LoggingOptions.defaultLevel
    })

  static let logFormat: WorkerSetting = WorkerSetting(
    key: "log-format", short: nil, environment: "CELERIAC_LOG_FORMAT",
    kind: .choice(LogFormatArgument.allCases.map(\.rawValue)), valueName: "format",
    summary:
      "Log lines as text or json (one object a line: time, level, logger, message, process; lines about a task add task_id, task_name, pool and the child's pid)",
    defaultText: LogFormatArgument.text.rawValue,
    flag: { $0.logging.logFormat.map(WorkerSettingInput.text) },
    apply: { value, settings in
      settings.logFormat = LogFormatArgument(rawValue: value.text) ?? .text
    })

  static let metricsPort: WorkerSetting = WorkerSetting(
    key: "metrics-port", short: nil, environment: nil, kind: .count(1...65_535),
    valueName: "port",
    summary: "Serve Prometheus metrics on this TCP port at /metrics (names in docs/metrics.md)",
    defaultText: nil,
    flag: { $0.metrics.metricsPort.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.metricsPort = value.count })

  static let metricsAddress: WorkerSetting = WorkerSetting(
    key: "metrics-address", short: nil, environment: nil, kind: .text, valueName: "ip",
    summary: "The IPv4 address --metrics-port binds (127.0.0.1: this machine only)",
    defaultText: MetricsOptions.defaultAddress,
    flag: { $0.metrics.metricsAddress.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.metricsAddress = value.text })
}

/// How a setting's default is written in the help and the README.
enum SettingText {
  /// Seconds without a needless fraction: `0.25`, `30`, `86400`.
  static func seconds(_ duration: Duration) -> String {
    let seconds = duration.seconds
    if seconds.rounded() == seconds, abs(seconds) < 1e15 { return String(Int64(seconds)) }
    return String(seconds)
  }
}
