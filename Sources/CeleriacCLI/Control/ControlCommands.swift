import ArgumentParser
import Celeriac

/// `celeriac control …`: Celery's remote-control commands, sent to every live worker.
struct ControlCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "control", abstract: "Change running workers (revoke, pools, shutdown, events).",
    subcommands: [
      ControlRevokeCommand.self, ControlPoolGrowCommand.self, ControlPoolShrinkCommand.self,
      ControlShutdownCommand.self, ControlEnableEventsCommand.self,
      ControlDisableEventsCommand.self, ControlRateLimitCommand.self,
      ControlAutoscaleCommand.self, ControlAddConsumerCommand.self,
      ControlCancelConsumerCommand.self,
    ])
}

/// `celeriac control revoke ID… [--terminate [--signal SIG]]`.
struct ControlRevokeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "revoke", abstract: "Revoke tasks; with --terminate, signal the child running one."
  )
  @OptionGroup var options: RemoteControlOptions
  @Argument(help: "Task ids.") var taskIDs: [String]
  @Flag(help: "Also signal the child running a task.") var terminate = false
  @Option(help: "The signal --terminate sends: TERM, KILL, INT, QUIT, USR1 (default TERM).")
  var signal = "SIGTERM"

  func validate() throws {
    try TaskIDArguments.validate(taskIDs)
    let bare = signal.uppercased().hasPrefix("SIG") ? String(signal.dropFirst(3)) : signal
    guard
      ["TERM", "KILL", "INT", "QUIT", "USR1", "15", "9", "2", "3", "10"].contains(bare.uppercased())
    else { throw ValidationError("--signal must be TERM, KILL, INT, QUIT or USR1, not \(signal)") }
  }

  func run() throws {
    try RemoteControlCall(
      method: "revoke",
      arguments: [
        "task_id": .array(taskIDs.map(JSONValue.string)), "terminate": .bool(terminate),
        "signal": .string(signal),
      ]
    ).run(options)
  }
}

/// The `N` of `pool-grow` and `pool-shrink`.
struct PoolStepArgument: ParsableArguments {
  /// The largest step accepted.
  static let maximumStep = 1_000
  @Argument(help: "How many children (default 1).") var count: Int = 1

  func validate() throws {
    guard (1...Self.maximumStep).contains(count) else {
      throw ValidationError("the count must be 1…\(Self.maximumStep), not \(count)")
    }
  }
}

/// `celeriac control pool-grow [N]` (or `pool_grow`).
struct ControlPoolGrowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pool-grow", abstract: "Add N children to each worker's pools.",
    aliases: ["pool_grow"])
  @OptionGroup var options: RemoteControlOptions
  @OptionGroup var step: PoolStepArgument
  func run() throws {
    try RemoteControlCall(method: "pool_grow", arguments: ["n": .int(Int64(step.count))]).run(
      options)
  }
}

/// `celeriac control pool-shrink [N]` (or `pool_shrink`).
struct ControlPoolShrinkCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pool-shrink", abstract: "Remove N children from each worker's pools.",
    aliases: ["pool_shrink"])
  @OptionGroup var options: RemoteControlOptions
  @OptionGroup var step: PoolStepArgument
  func run() throws {
    try RemoteControlCall(method: "pool_shrink", arguments: ["n": .int(Int64(step.count))]).run(
      options)
  }
}

/// `celeriac control shutdown`: a warm shutdown of every worker addressed.
struct ControlShutdownCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "shutdown", abstract: "Shut the workers down warmly (running tasks finish).")
  @OptionGroup var options: RemoteControlOptions
  func run() throws { try RemoteControlCall(method: "shutdown").run(options) }
}

/// `celeriac control enable-events` (or `enable_events`).
struct ControlEnableEventsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "enable-events", abstract: "Make the workers send Celery's task events.",
    aliases: ["enable_events"])
  @OptionGroup var options: RemoteControlOptions
  func run() throws { try RemoteControlCall(method: "enable_events").run(options) }
}

/// `celeriac control disable-events` (or `disable_events`).
struct ControlDisableEventsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disable-events", abstract: "Stop the workers' task events.",
    aliases: ["disable_events"])
  @OptionGroup var options: RemoteControlOptions
  func run() throws { try RemoteControlCall(method: "disable_events").run(options) }
}

/// `celeriac control rate-limit TASK RATE` (or `rate_limit`), e.g. `tasks.add 10/m`.
struct ControlRateLimitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rate-limit",
    abstract: "Set a task's rate limit on every worker (10/s, 5/m, 100/h; 0 lifts it).",
    aliases: ["rate_limit"])
  @OptionGroup var options: RemoteControlOptions
  @Argument(help: "The task name.") var taskName: String
  @Argument(help: "The rate: N, N/s, N/m or N/h.") var rate: String

  func validate() throws {
    guard !taskName.isEmpty, taskName.utf8.count <= TaskIDArguments.maximumLength,
      !rate.isEmpty, rate.utf8.count <= 32
    else { throw ValidationError("give a task name and a rate such as 10/m") }
    // 0 lifts the limit, as in Celery; anything else must be a rate a worker accepts.
    if rate.split(separator: "/", omittingEmptySubsequences: false).first.flatMap({ Double($0) })
      != 0
    {
      do {
        _ = try RateLimit(rate)
      } catch {
        throw ValidationError(error.message)
      }
    }
  }

  func run() throws {
    try RemoteControlCall(
      method: "rate_limit",
      arguments: ["task_name": .string(taskName), "rate_limit": .string(rate)]
    ).run(options)
  }
}

/// `celeriac control autoscale MAX MIN`.
struct ControlAutoscaleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "autoscale", abstract: "Set the autoscaler's bounds of each worker's pools.")
  @OptionGroup var options: RemoteControlOptions
  @Argument(help: "The most children.") var maximum: Int
  @Argument(help: "The fewest children.") var minimum: Int

  func validate() throws {
    guard minimum >= 0, maximum >= max(minimum, 1), maximum <= PoolStepArgument.maximumStep else {
      throw ValidationError("give MAX MIN with 0 <= MIN <= MAX <= \(PoolStepArgument.maximumStep)")
    }
  }

  func run() throws {
    try RemoteControlCall(
      method: "autoscale", arguments: ["max": .int(Int64(maximum)), "min": .int(Int64(minimum))]
    ).run(options)
  }
}

/// `celeriac control add-consumer QUEUE` (or `add_consumer`).
struct ControlAddConsumerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add-consumer", abstract: "Make the workers consume another queue.",
    aliases: ["add_consumer"])
  @OptionGroup var options: RemoteControlOptions
  @Argument(help: "The queue.") var queue: String
  func validate() throws { try QueueArgument.validate(queue) }
  func run() throws {
    try RemoteControlCall(method: "add_consumer", arguments: ["queue": .string(queue)]).run(
      options)
  }
}

/// `celeriac control cancel-consumer QUEUE` (or `cancel_consumer`).
struct ControlCancelConsumerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cancel-consumer", abstract: "Make the workers stop consuming a queue.",
    aliases: ["cancel_consumer"])
  @OptionGroup var options: RemoteControlOptions
  @Argument(help: "The queue.") var queue: String
  func validate() throws { try QueueArgument.validate(queue) }
  func run() throws {
    try RemoteControlCall(method: "cancel_consumer", arguments: ["queue": .string(queue)]).run(
      options)
  }
}

/// Checks a queue name given on the command line.
enum QueueArgument {
  /// The longest queue name accepted.
  static let maximumLength = 256

  static func validate(_ queue: String) throws {
    guard !queue.isEmpty, queue.utf8.count <= maximumLength else {
      throw ValidationError("not a queue name: \(queue.prefix(40))")
    }
  }
}
