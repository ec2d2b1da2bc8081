import CeleriacCore
import Metrics

/// What a supervisor measures, recorded through swift-metrics (the CLI bootstraps
/// swift-prometheus and serves `/metrics` with `--metrics-port`). Names follow Prometheus
/// conventions and are documented in `docs/metrics.md`; label values come only from the
/// worker's own configuration and registry (a task name not registered is counted as
/// `unregistered`), so hostile messages cannot grow the series without end.
public struct SupervisorMetrics {
  /// Tasks that reached a final state (or a retry), by `task` and `state`.
  static let tasks = "celeriac_tasks_total"
  /// How long tasks ran in their child, by `task` (a histogram).
  static let runtime = "celeriac_task_runtime_seconds"
  /// Due tasks waiting in each queue the worker consumes, by `queue`.
  static let queueDepth = "celeriac_queue_depth"
  /// Children of each pool, by `pool` and `state` (`busy`, `idle`, `starting`).
  static let children = "celeriac_pool_children"
  /// How many children each pool aims for now, by `pool`.
  static let target = "celeriac_pool_target_children"
  /// The bounds of each pool, by `pool` and `bound` (`min`, `max`).
  static let bounds = "celeriac_pool_bound_children"
  /// Children that ended unplanned, by `pool` and `cause` (`crash`, `boot_failure`, `hung`,
  /// `time_limit`).
  static let restarts = "celeriac_child_restarts_total"
  /// Tasks returned to their queue after a lost child, by `task`.
  static let redeliveries = "celeriac_redeliveries_total"
  /// Messages moved to dead-letter by this worker.
  static let deadLetters = "celeriac_dead_letters_total"
  /// How long the supervisor's broker calls took, by `operation` (`claim`: take tasks;
  /// `commit`: store outcomes and acknowledge them), a histogram of successful calls.
  public static let brokerCall = "celeriac_broker_call_seconds"
  /// Whether the broker answers: 1 after a successful call, 0 after a failed one.
  static let brokerUp = "celeriac_broker_up"
  /// Broker outages: runs of failed calls, each counted once when it starts.
  static let brokerOutages = "celeriac_broker_outages_total"
  /// The label value of a task name the worker does not know.
  static let unregisteredTask = "unregistered"

  private var counters: [String: Counter] = [:]
  private var gauges: [String: Gauge] = [:]
  private var timers: [String: Metrics.Timer] = [:]

  private static func key(_ name: String, _ dimensions: [(String, String)]) -> String {
    ([name] + dimensions.map { $0.0 + "=" + $0.1 }).joined(separator: "\u{1F}")
  }

  /// Adds `amount` to a counter.
  mutating func increment(_ name: String, _ dimensions: [(String, String)] = [], by amount: Int = 1)
  {
    let key = Self.key(name, dimensions)
    let counter = counters[key] ?? Counter(label: name, dimensions: dimensions)
    counters[key] = counter
    counter.increment(by: amount)
  }

  /// Sets a gauge.
  mutating func set(_ name: String, _ dimensions: [(String, String)], to value: Int) {
    let key = Self.key(name, dimensions)
    let gauge = gauges[key] ?? Gauge(label: name, dimensions: dimensions)
    gauges[key] = gauge
    gauge.record(value)
  }

  /// Records a duration in a timer (a histogram of seconds in Prometheus).
  mutating func record(_ name: String, _ dimensions: [(String, String)], _ duration: Duration) {
    let key = Self.key(name, dimensions)
    let timer = timers[key] ?? Metrics.Timer(label: name, dimensions: dimensions)
    timers[key] = timer
    timer.recordNanoseconds(max(0, duration.wholeNanoseconds))
  }
}

extension Supervisor {
  /// The label value for a task: its name when registered, else ``SupervisorMetrics/unregisteredTask``.
  func metricTaskName(_ message: TaskMessage) -> String {
    registry[message.name] == nil ? SupervisorMetrics.unregisteredTask : message.name
  }

  /// Counts a task reaching `state` (when metrics are on).
  func countTask(_ message: TaskMessage, state: TaskState) {
    guard configuration.recordsMetrics else { return }
    metrics.increment(
      SupervisorMetrics.tasks, [("task", metricTaskName(message)), ("state", state.rawValue)])
  }

  /// Records how long a task ran (when metrics are on).
  func recordRuntime(_ message: TaskMessage, _ runtime: Duration) {
    guard configuration.recordsMetrics else { return }
    metrics.record(SupervisorMetrics.runtime, [("task", metricTaskName(message))], runtime)
  }

  /// Records how long a successful broker call took (when metrics are on).
  func recordBrokerCall(_ operation: String, since start: ContinuousClock.Instant) {
    guard configuration.recordsMetrics else { return }
    metrics.record(SupervisorMetrics.brokerCall, [("operation", operation)], clock.now - start)
  }

  /// Sets the broker's up gauge and counts the start of an outage (when metrics are on).
  func recordBrokerHealth(up: Bool, outageStarted: Bool) {
    guard configuration.recordsMetrics else { return }
    metrics.set(SupervisorMetrics.brokerUp, [], to: up ? 1 : 0)
    if outageStarted { metrics.increment(SupervisorMetrics.brokerOutages) }
  }

  /// Counts an event without a task (restarts, dead letters, redeliveries).
  func countMetric(_ name: String, _ dimensions: [(String, String)] = [], by amount: Int = 1) {
    guard configuration.recordsMetrics, amount > 0 else { return }
    metrics.increment(name, dimensions, by: amount)
  }

  /// Sets the pool and queue gauges from the live state: called every loop turn, so a scrape
  /// sees the pools as they are (within one turn, at most a second).
  func updatePoolMetrics() {
    guard configuration.recordsMetrics else { return }
    for pool in pools {
      let phases = children.phaseCounts(of: pool.name, generation: generation)
      for phase in [ChildProcess.Phase.busy, .idle, .starting] {
        metrics.set(
          SupervisorMetrics.children, [("pool", pool.name), ("state", phase.rawValue)],
          to: phases[phase] ?? 0)
      }
      metrics.set(SupervisorMetrics.target, [("pool", pool.name)], to: pool.target)
      metrics.set(
        SupervisorMetrics.bounds, [("pool", pool.name), ("bound", "min")],
        to: pool.configuration.minimum)
      metrics.set(
        SupervisorMetrics.bounds, [("pool", pool.name), ("bound", "max")],
        to: pool.configuration.maximum)
    }
  }

  /// Sets the queue-depth gauges from depths just read.
  func updateQueueMetrics(_ depths: [String: Int]) {
    guard configuration.recordsMetrics else { return }
    for queue in consumedQueues {
      metrics.set(SupervisorMetrics.queueDepth, [("queue", queue)], to: depths[queue] ?? 0)
    }
  }
}

extension Supervisor {
  /// The `cause` label of an unplanned child end.
  func restartCause(_ child: ChildProcess, _ kind: ChildExitKind) -> String {
    switch child.endReason {
    case .hung?: return "hung"
    case .timeLimit?: return "time_limit"
    default: return kind == .bootFailure ? "boot_failure" : "crash"
    }
  }
}
