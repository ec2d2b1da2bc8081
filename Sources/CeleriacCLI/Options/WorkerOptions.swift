import ArgumentParser
import Celeriac
import CeleriacWorker
import Foundation

/// The supervisor's tuning flags (Celery's names where Celery has the concept). Each takes its
/// names and help from its declaration in ``WorkerSettings``, which also reads, checks and
/// applies the value (``WorkerSettings/resolve(flags:environment:file:)``): values are kept as
/// given here, so that a flag, an environment variable and the config file are checked alike.
struct WorkerOptions: ParsableArguments, Sendable {
  @Option(name: WorkerSettings.queues.names, help: WorkerSettings.queues.help)
  var queues: String?

  @Option(name: WorkerSettings.concurrency.names, help: WorkerSettings.concurrency.help)
  var concurrency: String?

  @Option(name: WorkerSettings.autoscale.names, help: WorkerSettings.autoscale.help)
  var autoscale: [String] = []

  @Option(
    name: WorkerSettings.prefetchMultiplier.names, help: WorkerSettings.prefetchMultiplier.help)
  var prefetchMultiplier: String?

  @Option(name: WorkerSettings.maxTasksPerChild.names, help: WorkerSettings.maxTasksPerChild.help)
  var maxTasksPerChild: String?

  @Option(name: WorkerSettings.maxMemoryPerChild.names, help: WorkerSettings.maxMemoryPerChild.help)
  var maxMemoryPerChild: String?

  @Option(name: WorkerSettings.timeLimit.names, help: WorkerSettings.timeLimit.help)
  var timeLimit: String?

  @Option(name: WorkerSettings.softTimeLimit.names, help: WorkerSettings.softTimeLimit.help)
  var softTimeLimit: String?

  @Option(name: WorkerSettings.hostname.names, help: WorkerSettings.hostname.help)
  var hostname: String?

  @Option(name: WorkerSettings.childTimeout.names, help: WorkerSettings.childTimeout.help)
  var childTimeout: String?

  @Option(name: WorkerSettings.heartbeatInterval.names, help: WorkerSettings.heartbeatInterval.help)
  var heartbeatInterval: String?

  @Option(name: WorkerSettings.gracefulTimeout.names, help: WorkerSettings.gracefulTimeout.help)
  var gracefulTimeout: String?

  @Option(name: WorkerSettings.restartBackoffMin.names, help: WorkerSettings.restartBackoffMin.help)
  var restartBackoffMin: String?

  @Option(name: WorkerSettings.restartBackoffMax.names, help: WorkerSettings.restartBackoffMax.help)
  var restartBackoffMax: String?

  @Option(name: WorkerSettings.stableUptime.names, help: WorkerSettings.stableUptime.help)
  var stableUptime: String?

  @Option(name: WorkerSettings.crashLoopWindow.names, help: WorkerSettings.crashLoopWindow.help)
  var crashLoopWindow: String?

  @Option(name: WorkerSettings.autoscaleInterval.names, help: WorkerSettings.autoscaleInterval.help)
  var autoscaleInterval: String?

  @Option(name: WorkerSettings.scaleUpStep.names, help: WorkerSettings.scaleUpStep.help)
  var scaleUpStep: String?

  @Option(name: WorkerSettings.scaleDownCooldown.names, help: WorkerSettings.scaleDownCooldown.help)
  var scaleDownCooldown: String?

  @Option(name: WorkerSettings.scaleDownInterval.names, help: WorkerSettings.scaleDownInterval.help)
  var scaleDownInterval: String?

  @Option(name: WorkerSettings.lease.names, help: WorkerSettings.lease.help)
  var lease: String?

  @Option(name: WorkerSettings.resultExpires.names, help: WorkerSettings.resultExpires.help)
  var resultExpires: String?

  @Option(
    name: WorkerSettings.brokerStartupTimeout.names, help: WorkerSettings.brokerStartupTimeout.help)
  var brokerStartupTimeout: String?

  @Option(name: WorkerSettings.deadLetterLimit.names, help: WorkerSettings.deadLetterLimit.help)
  var deadLetterLimit: String?

  @Option(
    name: WorkerSettings.deadLetterRetention.names, help: WorkerSettings.deadLetterRetention.help)
  var deadLetterRetention: String?

  @Flag(name: WorkerSettings.taskEvents.names, help: WorkerSettings.taskEvents.help)
  var taskEvents = false

  @Option(
    help: ArgumentHelp(
      "A JSON file setting any of these options by long name (celeriac settings lists them); flags and environment variables win.",
      valueName: "file"))
  var config: String?
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
