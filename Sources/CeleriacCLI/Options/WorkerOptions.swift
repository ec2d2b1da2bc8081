import ArgumentParser
import Celeriac
import CeleriacWorker
import Foundation

/// The supervisor's tuning flags (Celery's names where Celery has the concept). Each may also
/// be set in the JSON `--config` file under the same long name; a flag beats the file.
struct WorkerOptions: ParsableArguments {
  @Option(
    name: [.customShort("Q"), .customLong("queues")],
    help: "Comma-separated queues, one pool each (default: celery).")
  var queues: String?

  @Option(
    name: [.customShort("c"), .customLong("concurrency")],
    help: "Children per pool (default: \(WorkerConfiguration.defaultConcurrency)).")
  var concurrency: Int?

  @Option(
    help: ArgumentHelp(
      "Autoscale pools between MIN and MAX children, Celery's order: MAX,MIN for every pool, or QUEUE=MAX,MIN for one (repeatable).",
      valueName: "[queue=]max,min"))
  var autoscale: [String] = []

  @Option(
    help:
      "Tasks the supervisor claims ahead per child, held by the supervisor (never by a child) and handed to whichever child is idle first; 0 claims only for idle children (default: \(WorkerConfiguration.defaultPrefetchMultiplier))."
  )
  var prefetchMultiplier: Int?

  @Option(help: "Replace a child after it ran this many tasks.")
  var maxTasksPerChild: Int?

  @Option(help: "Replace a child whose peak resident memory exceeds this many KiB after a task.")
  var maxMemoryPerChild: Int?

  @Option(help: "Hard time limit in seconds: the child is killed, the task fails.")
  var timeLimit: Double?

  @Option(help: "Soft time limit in seconds: the task is cancelled cooperatively.")
  var softTimeLimit: Double?

  @Option(
    name: [.customShort("n"), .customLong("hostname")],
    help: "Node name (default: celeriac@<host>).")
  var hostname: String?

  @Option(
    help:
      "Seconds without a heartbeat before a child is killed as hung (default: \(WorkerConfiguration.defaultChildTimeout.seconds))."
  )
  var childTimeout: Double?

  @Option(
    help:
      "Seconds between a child's heartbeats (default: \(WorkerConfiguration.defaultHeartbeatInterval.seconds))."
  )
  var heartbeatInterval: Double?

  @Option(
    help:
      "Seconds a warm shutdown waits for running tasks (default: \(WorkerConfiguration.defaultGracefulTimeout.seconds))."
  )
  var gracefulTimeout: Double?

  @Option(
    help:
      "First restart delay in seconds after a child crashes (default: \(RestartPolicyConfiguration.defaultMinimumBackoff.seconds))."
  )
  var restartBackoffMin: Double?

  @Option(
    help:
      "Largest restart delay in seconds (default: \(RestartPolicyConfiguration.defaultMaximumBackoff.seconds))."
  )
  var restartBackoffMax: Double?

  @Option(
    help:
      "Seconds a child must stay up for its slot's backoff to reset (default: \(RestartPolicyConfiguration.defaultStableUptime.seconds))."
  )
  var stableUptime: Double?

  @Option(
    help:
      "Seconds of nothing but early crashes in a pool before the supervisor gives up (default: \(RestartPolicyConfiguration.defaultCrashLoopWindow.seconds))."
  )
  var crashLoopWindow: Double?

  @Option(
    help:
      "Seconds between queue-depth samples of autoscaling pools (default: \(AutoscalerConfiguration.defaultSampleInterval.seconds))."
  )
  var autoscaleInterval: Double?

  @Option(
    help:
      "Most children an autoscaling pool adds in one step (default: \(AutoscalerConfiguration.defaultMaximumStep))."
  )
  var scaleUpStep: Int?

  @Option(
    help:
      "Seconds after a scale-up before idle children are retired (default: \(AutoscalerConfiguration.defaultScaleDownCooldown.seconds))."
  )
  var scaleDownCooldown: Double?

  @Option(
    help:
      "Seconds between two retirements while an autoscaling pool shrinks (default: \(AutoscalerConfiguration.defaultScaleDownInterval.seconds))."
  )
  var scaleDownInterval: Double?

  @Option(help: "Seconds a claimed task stays owned without renewal (default: 30).")
  var lease: Double?

  @Option(help: "Seconds results are kept (default: 86400).")
  var resultExpires: Double?

  @Option(
    help:
      "Seconds to keep trying a broker that does not answer at start-up; 0 gives up at once (default: \(WorkerConfiguration.defaultBrokerStartupTimeout.seconds))."
  )
  var brokerStartupTimeout: Double?

  @Option(
    help:
      "Most dead letters kept, the oldest deleted first (default: \(WorkerConfiguration.defaultDeadLetterLimit))."
  )
  var deadLetterLimit: Int?

  @Option(
    help:
      "Seconds a dead letter is kept (default: \(WorkerConfiguration.defaultDeadLetterRetention.seconds))."
  )
  var deadLetterRetention: Double?

  @Flag(
    name: [.customShort("E"), .customLong("task-events")],
    help:
      "Send Celery's task and worker events (celeriac events on both brokers; celery events and Flower on Redis)."
  )
  var taskEvents = false

  @Option(help: "A JSON file setting any of these options by long name; flags win.")
  var config: String?

  /// Builds the configuration: flag, else config file, else default.
  func resolve() throws -> WorkerConfiguration {
    let file = try config.map(WorkerConfigFile.load) ?? WorkerConfigFile()
    var result = WorkerConfiguration(
      pools: [],
      hostname: hostname ?? file.string("hostname") ?? WorkerConfiguration.defaultHostname())
    let queueList = try (queues ?? file.string("queues") ?? TaskOptions.defaultQueue)
      .split(separator: ",").map { name -> String in
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ValidationError("--queues has an empty queue name") }
        return trimmed
      }
    let size = concurrency ?? file.int("concurrency") ?? WorkerConfiguration.defaultConcurrency
    guard (1...WorkerConfiguration.maximumPoolSize).contains(size) else {
      throw ValidationError(
        "--concurrency must be from 1 to \(WorkerConfiguration.maximumPoolSize), got \(size)")
    }
    let bounds = try AutoscaleArgument.parseAll(
      autoscale.isEmpty ? file.strings("autoscale") : autoscale, queues: queueList)
    result.pools = queueList.map { queue in
      let (maximum, minimum) = bounds[queue] ?? bounds[""] ?? (size, size)
      return PoolConfiguration(queues: [queue], minimum: minimum, maximum: maximum)
    }
    let prefetch = prefetchMultiplier ?? file.int("prefetch-multiplier")
    if let prefetch, !(0...WorkerConfiguration.maximumPrefetchMultiplier).contains(prefetch) {
      throw ValidationError(
        "--prefetch-multiplier must be from 0 to \(WorkerConfiguration.maximumPrefetchMultiplier), got \(prefetch)"
      )
    }
    result.prefetchMultiplier = prefetch ?? result.prefetchMultiplier
    result.maxTasksPerChild = try positive(
      maxTasksPerChild ?? file.int("max-tasks-per-child"), "--max-tasks-per-child")
    result.maxMemoryPerChildKiB = try positive(
      maxMemoryPerChild ?? file.int("max-memory-per-child"), "--max-memory-per-child")
    func seconds(_ flag: Double?, _ key: String) throws -> Double? {
      guard let seconds = flag ?? file.double(key) else { return nil }
      if let problem = SecondsValue.positive.problem(with: seconds, name: "--\(key)") {
        throw ValidationError(problem)
      }
      return seconds
    }
    func duration(_ flag: Double?, _ key: String, _ fallback: Duration) throws -> Duration {
      try seconds(flag, key).map { .seconds(fractional: $0) } ?? fallback
    }
    result.timeLimit = try seconds(timeLimit, "time-limit")
    result.softTimeLimit = try seconds(softTimeLimit, "soft-time-limit")
    result.childTimeout = try duration(childTimeout, "child-timeout", result.childTimeout)
    result.heartbeatInterval = try duration(
      heartbeatInterval, "heartbeat-interval", result.heartbeatInterval)
    result.gracefulTimeout = try duration(
      gracefulTimeout, "graceful-timeout", result.gracefulTimeout)
    do {
      result.restart = try RestartPolicyConfiguration(
        minimumBackoff: try duration(
          restartBackoffMin, "restart-backoff-min", RestartPolicyConfiguration.defaultMinimumBackoff
        ),
        maximumBackoff: try duration(
          restartBackoffMax, "restart-backoff-max", RestartPolicyConfiguration.defaultMaximumBackoff
        ),
        stableUptime: try duration(
          stableUptime, "stable-uptime", RestartPolicyConfiguration.defaultStableUptime),
        crashLoopWindow: try duration(
          crashLoopWindow, "crash-loop-window", RestartPolicyConfiguration.defaultCrashLoopWindow))
    } catch let error as PolicyConfigurationError {
      throw ValidationError(error.message)
    }
    result.autoscaleInterval = try duration(
      autoscaleInterval, "autoscale-interval", result.autoscaleInterval)
    result.scaleDownCooldown = try duration(
      scaleDownCooldown, "scale-down-cooldown", result.scaleDownCooldown)
    result.scaleDownInterval = try duration(
      scaleDownInterval, "scale-down-interval", result.scaleDownInterval)
    result.autoscaleMaximumStep =
      try positive(scaleUpStep ?? file.int("scale-up-step"), "--scale-up-step")
      ?? result.autoscaleMaximumStep
    result.lease = try duration(lease, "lease", result.lease)
    result.resultExpiry = try duration(resultExpires, "result-expires", result.resultExpiry)
    if taskEvents || file.bool("task-events") == true { result.sendsTaskEvents = true }
    result.deadLetterRetention = try duration(
      deadLetterRetention, "dead-letter-retention", result.deadLetterRetention)
    if let wait = brokerStartupTimeout ?? file.double("broker-startup-timeout") {
      if let problem = SecondsValue.delay.problem(with: wait, name: "--broker-startup-timeout") {
        throw ValidationError(problem)
      }
      result.brokerStartupTimeout = .seconds(fractional: wait)
    }
    if let limit = deadLetterLimit ?? file.int("dead-letter-limit") {
      guard limit >= 0 else {
        throw ValidationError("--dead-letter-limit must not be negative, got \(limit)")
      }
      result.deadLetterLimit = limit
    }
    for pool in result.pools where pool.autoscales {
      do {
        _ = try AutoscalerConfiguration(
          minimum: pool.minimum, maximum: pool.maximum, maximumStep: result.autoscaleMaximumStep,
          scaleDownCooldown: result.scaleDownCooldown,
          scaleDownInterval: result.scaleDownInterval, sampleInterval: result.autoscaleInterval)
      } catch {
        throw ValidationError(error.message)
      }
    }
    return result
  }

  private func positive<Number: Comparable & Numeric>(_ value: Number?, _ flag: String) throws
    -> Number?
  {
    guard let value else { return nil }
    guard value > 0 else { throw ValidationError("\(flag) must be positive, got \(value)") }
    return value
  }
}

/// Parses `--autoscale` values: `MAX,MIN` or `QUEUE=MAX,MIN`.
enum AutoscaleArgument {
  /// Bounds by queue; the key `""` holds the value for every pool.
  static func parseAll(_ values: [String], queues: [String]) throws -> [String: (Int, Int)] {
    var bounds: [String: (Int, Int)] = [:]
    for value in values {
      let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
      let queue = parts.count == 2 ? parts[0] : ""
      let numbers = (parts.last ?? "").split(separator: ",").map {
        Int($0.trimmingCharacters(in: .whitespaces))
      }
      guard numbers.count == 2, let maximum = numbers[0], let minimum = numbers[1] else {
        throw ValidationError("--autoscale '\(value)' is not MAX,MIN or QUEUE=MAX,MIN")
      }
      guard minimum >= 1, maximum >= minimum, maximum <= WorkerConfiguration.maximumPoolSize
      else {
        throw ValidationError(
          "--autoscale '\(value)': need 1 <= MIN <= MAX <= \(WorkerConfiguration.maximumPoolSize) (Celery's order is MAX,MIN)"
        )
      }
      guard queue.isEmpty || queues.contains(queue) else {
        throw ValidationError("--autoscale '\(value)': queue '\(queue)' is not in --queues")
      }
      bounds[queue] = (maximum, minimum)
    }
    return bounds
  }
}

/// The JSON config file of `celeriac worker --config`.
struct WorkerConfigFile {
  private var values: [String: JSONValue] = [:]

  init() {}

  static func load(_ path: String) throws -> WorkerConfigFile {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ValidationError("cannot read config file \(path): \(error.localizedDescription)")
    }
    guard case .object(let object)? = try? JSONCoding.decode(JSONValue.self, from: data) else {
      throw ValidationError("config file \(path) is not a JSON object")
    }
    let known = Set(WorkerOptions._knownKeys)
    if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
      throw ValidationError("config file \(path): unknown key '\(unknown)'")
    }
    var file = WorkerConfigFile()
    file.values = object
    return file
  }

  func string(_ key: String) -> String? {
    switch values[key] {
    case .string(let value)?: value
    case .array(let items)?: items.compactMap(\.stringValue).joined(separator: ",")
    default: nil
    }
  }

  func strings(_ key: String) -> [String] {
    switch values[key] {
    case .string(let value)?: [value]
    case .array(let items)?: items.compactMap(\.stringValue)
    default: []
    }
  }

  func int(_ key: String) -> Int? { values[key]?.intValue.map(Int.init) }
  func double(_ key: String) -> Double? { values[key]?.doubleValue }
  func bool(_ key: String) -> Bool? {
    if case .bool(let flag)? = values[key] { return flag }
    return nil
  }
}

extension WorkerOptions {
  /// Long names the config file accepts.
  static let _knownKeys = [
    "queues", "concurrency", "autoscale", "max-tasks-per-child", "max-memory-per-child",
    "prefetch-multiplier", "time-limit", "soft-time-limit", "hostname", "child-timeout",
    "heartbeat-interval",
    "graceful-timeout", "restart-backoff-min", "restart-backoff-max", "stable-uptime",
    "crash-loop-window", "autoscale-interval", "scale-up-step", "scale-down-cooldown",
    "scale-down-interval", "lease",
    "result-expires", "broker-startup-timeout", "dead-letter-limit", "dead-letter-retention",
    "task-events",
    "broker", "backend", "loglevel",
  ]
}
