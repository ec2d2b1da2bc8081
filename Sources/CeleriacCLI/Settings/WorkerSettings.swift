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

  static let concurrency: WorkerSetting = WorkerSetting(
    key: "concurrency", short: "c", environment: "CELERIAC_CONCURRENCY",
    kind: .count(1...WorkerConfiguration.maximumPoolSize), valueName: "N",
    summary: "Children per pool (fixed size)",
    defaultText: "\(WorkerConfiguration.defaultConcurrency)",
    flag: { $0.worker.concurrency.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.concurrency = value.count })

  static let autoscale: WorkerSetting = WorkerSetting(
    key: "autoscale", short: nil, environment: nil, kind: .repeated, valueName: "[queue=]max,min",
    summary:
      "Autoscale pools between MIN and MAX children, Celery's order: MAX,MIN for every pool, or QUEUE=MAX,MIN for one (repeatable)",
    defaultText: nil,
    flag: { $0.worker.autoscale.isEmpty ? nil : .texts($0.worker.autoscale) },
    apply: { value, settings in settings.autoscale = value.list })

  static let autoscaleInterval: WorkerSetting = WorkerSetting(
    key: "autoscale-interval", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S", summary: "Seconds between queue-depth samples of autoscaling pools",
    defaultText: SettingText.seconds(AutoscalerConfiguration.defaultSampleInterval),
    flag: { $0.worker.autoscaleInterval.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.autoscaleInterval = value.duration })

  static let scaleUpStep: WorkerSetting = WorkerSetting(
    key: "scale-up-step", short: nil, environment: nil,
    kind: .count(1...WorkerConfiguration.maximumPoolSize), valueName: "N",
    summary: "Most children an autoscaling pool adds in one step",
    defaultText: "\(AutoscalerConfiguration.defaultMaximumStep)",
    flag: { $0.worker.scaleUpStep.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.autoscaleMaximumStep = value.count })

  static let scaleDownCooldown: WorkerSetting = WorkerSetting(
    key: "scale-down-cooldown", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S",
    summary:
      "Seconds after the last scale-up, and of continuous idle surplus, before idle children are retired",
    defaultText: SettingText.seconds(AutoscalerConfiguration.defaultScaleDownCooldown),
    flag: { $0.worker.scaleDownCooldown.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.scaleDownCooldown = value.duration })

  static let scaleDownInterval: WorkerSetting = WorkerSetting(
    key: "scale-down-interval", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S", summary: "Seconds between two retirements while an autoscaling pool shrinks",
    defaultText: SettingText.seconds(AutoscalerConfiguration.defaultScaleDownInterval),
    flag: { $0.worker.scaleDownInterval.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.scaleDownInterval = value.duration })

  static let prefetchMultiplier: WorkerSetting = WorkerSetting(
    key: "prefetch-multiplier", short: nil, environment: nil,
    kind: .count(0...WorkerConfiguration.maximumPrefetchMultiplier), valueName: "N",
    summary:
      "Tasks the supervisor claims ahead per child, held by the supervisor (never by a child) and handed to whichever child is idle first; 0 claims only for idle children",
    defaultText: "\(WorkerConfiguration.defaultPrefetchMultiplier)",
    flag: { $0.worker.prefetchMultiplier.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.prefetchMultiplier = value.count })

  // MARK: - Children and their limits

  static let maxTasksPerChild: WorkerSetting = WorkerSetting(
    key: "max-tasks-per-child", short: nil, environment: nil, kind: .count(1...Int.max),
    valueName: "N", summary: "Replace a child after it ran this many tasks (not a crash)",
    defaultText: nil,
    flag: { $0.worker.maxTasksPerChild.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.maxTasksPerChild = value.count })

  static let maxMemoryPerChild: WorkerSetting = WorkerSetting(
    key: "max-memory-per-child", short: nil, environment: nil, kind: .count(1...Int.max),
    valueName: "KiB",
    summary:
      "Replace a child whose peak resident memory (ru_maxrss, as Celery checks) exceeds this many KiB after a task (not a crash)",
    defaultText: nil,
    flag: { $0.worker.maxMemoryPerChild.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.maxMemoryPerChildKiB = value.count })

  static let softTimeLimit: WorkerSetting = WorkerSetting(
    key: "soft-time-limit", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S",
    summary:
      "Soft time limit in seconds: the task is cancelled cooperatively (SoftTimeLimitExceeded)",
    defaultText: nil,
    flag: { $0.worker.softTimeLimit.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.softTimeLimit = value.seconds })

  static let timeLimit: WorkerSetting = WorkerSetting(
    key: "time-limit", short: nil, environment: nil, kind: .seconds(.positive), valueName: "S",
    summary:
      "Hard time limit in seconds: the child is killed and replaced, the task fails (TimeLimitExceeded)",
    defaultText: nil,
    flag: { $0.worker.timeLimit.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.timeLimit = value.seconds })

  static let heartbeatInterval: WorkerSetting = WorkerSetting(
    key: "heartbeat-interval", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S", summary: "Seconds between a child's heartbeats",
    defaultText: SettingText.seconds(WorkerConfiguration.defaultHeartbeatInterval),
    flag: { $0.worker.heartbeatInterval.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.heartbeatInterval = value.duration })

  static let childTimeout: WorkerSetting = WorkerSetting(
    key: "child-timeout", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S",
    summary:
      "Seconds without a heartbeat before a child is hung: SIGABRT, SIGKILL 2 s later, replaced, its task lost",
    defaultText: SettingText.seconds(WorkerConfiguration.defaultChildTimeout),
    flag: { $0.worker.childTimeout.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.childTimeout = value.duration })

  static let gracefulTimeout: WorkerSetting = WorkerSetting(
    key: "graceful-timeout", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S",
    summary: "Seconds a warm shutdown waits for running tasks before handling them as lost",
    defaultText: SettingText.seconds(WorkerConfiguration.defaultGracefulTimeout),
    flag: { $0.worker.gracefulTimeout.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.gracefulTimeout = value.duration })

  // MARK: - Restarts

  static let restartBackoffMin: WorkerSetting = WorkerSetting(
    key: "restart-backoff-min", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S",
    summary: "First restart delay in seconds after a child crashes (doubling with jitter)",
    defaultText: SettingText.seconds(RestartPolicyConfiguration.defaultMinimumBackoff),
    flag: { $0.worker.restartBackoffMin.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.restartBackoffMin = value.duration })

  static let restartBackoffMax: WorkerSetting = WorkerSetting(
    key: "restart-backoff-max", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S", summary: "Largest restart delay in seconds",
    defaultText: SettingText.seconds(RestartPolicyConfiguration.defaultMaximumBackoff),
    flag: { $0.worker.restartBackoffMax.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.restartBackoffMax = value.duration })

  static let stableUptime: WorkerSetting = WorkerSetting(
    key: "stable-uptime", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S", summary: "Seconds a child must stay up for its slot's backoff to reset",
    defaultText: SettingText.seconds(RestartPolicyConfiguration.defaultStableUptime),
    flag: { $0.worker.stableUptime.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.stableUptime = value.duration })

  static let crashLoopWindow: WorkerSetting = WorkerSetting(
    key: "crash-loop-window", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S",
    summary:
      "Seconds of nothing but early crashes in a pool before the supervisor gives up (exit 3; 5 boot failures in a row: exit 4)",
    defaultText: SettingText.seconds(RestartPolicyConfiguration.defaultCrashLoopWindow),
    flag: { $0.worker.crashLoopWindow.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.crashLoopWindow = value.duration })

  // MARK: - Broker

  static let lease: WorkerSetting = WorkerSetting(
    key: "lease", short: nil, environment: nil, kind: .seconds(.positive), valueName: "S",
    summary:
      "Seconds a claimed task stays owned without renewal; then it returns to its queue",
    defaultText: SettingText.seconds(ConsumerIdentity.defaultLease),
    flag: { $0.worker.lease.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.lease = value.duration })

  static let resultExpires: WorkerSetting = WorkerSetting(
    key: "result-expires", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S", summary: "Seconds results are kept",
    defaultText: SettingText.seconds(defaultResultExpiry),
    flag: { $0.worker.resultExpires.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.resultExpiry = value.duration })

  static let brokerStartupTimeout: WorkerSetting = WorkerSetting(
    key: "broker-startup-timeout", short: nil, environment: nil, kind: .seconds(.delay),
    valueName: "S",
    summary:
      "Seconds to keep trying, with backoff, a broker that does not answer at start-up (STATUS says so, systemd's start timeout is extended); 0 gives up at once (exit 5)",
    defaultText: SettingText.seconds(WorkerConfiguration.defaultBrokerStartupTimeout),
    flag: { $0.worker.brokerStartupTimeout.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.brokerStartupTimeout = value.duration })

  static let deadLetterLimit: WorkerSetting = WorkerSetting(
    key: "dead-letter-limit", short: nil, environment: nil, kind: .count(0...Int.max),
    valueName: "N", summary: "Most dead letters kept, the oldest deleted first",
    defaultText: "\(WorkerConfiguration.defaultDeadLetterLimit)",
    flag: { $0.worker.deadLetterLimit.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.deadLetterLimit = value.count })

  static let deadLetterRetention: WorkerSetting = WorkerSetting(
    key: "dead-letter-retention", short: nil, environment: nil, kind: .seconds(.positive),
    valueName: "S", summary: "Seconds a dead letter is kept",
    defaultText: SettingText.seconds(WorkerConfiguration.defaultDeadLetterRetention),
    flag: { $0.worker.deadLetterRetention.map(WorkerSettingInput.text) },
    apply: { value, settings in settings.configuration.deadLetterRetention = value.duration })

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
