import ArgumentParser
import Celeriac

/// `celeriac inspect ping`: which workers answer.
struct InspectPingCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ping", abstract: "Ask every live worker to answer.")
  @OptionGroup var options: RemoteControlOptions
  func run() throws { try RemoteControlCall(method: "ping").run(options) }
}

/// `celeriac inspect active`: the tasks running now, with the child that runs each.
struct InspectActiveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "active", abstract: "List the tasks running now (id, name, child pid).")
  @OptionGroup var options: RemoteControlOptions
  func run() throws {
    try RemoteControlCall(method: "active", describe: RemoteControlCall.describeTasks).run(options)
  }
}

/// `celeriac inspect reserved`: tasks claimed and waiting for a free child.
struct InspectReservedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reserved", abstract: "List the tasks a worker holds for its next free child.")
  @OptionGroup var options: RemoteControlOptions
  func run() throws {
    try RemoteControlCall(method: "reserved", describe: RemoteControlCall.describeTasks).run(
      options)
  }
}

/// `celeriac inspect scheduled`: tasks with an ETA a worker holds.
struct InspectScheduledCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scheduled", abstract: "List the tasks with an ETA a worker holds.")
  @OptionGroup var options: RemoteControlOptions
  func run() throws {
    try RemoteControlCall(method: "scheduled", describe: RemoteControlCall.describeTasks).run(
      options)
  }
}

/// `celeriac inspect revoked`: the task ids a worker knows to be revoked.
struct InspectRevokedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "revoked", abstract: "List the task ids a worker knows to be revoked.")
  @OptionGroup var options: RemoteControlOptions
  func run() throws {
    try RemoteControlCall(method: "revoked", describe: RemoteControlCall.describeNames).run(
      options)
  }
}

/// `celeriac inspect registered`: the task names each worker can run.
struct InspectRegisteredCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "registered", abstract: "List the task names each worker can run.")
  @OptionGroup var options: RemoteControlOptions
  func run() throws {
    try RemoteControlCall(method: "registered", describe: RemoteControlCall.describeNames).run(
      options)
  }
}

/// `celeriac inspect stats`: pids, uptime, totals, pool.
struct InspectStatsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stats", abstract: "Show each worker's statistics (pids, totals, pool).")
  @OptionGroup var options: RemoteControlOptions
  func run() throws { try RemoteControlCall(method: "stats").run(options) }
}

/// `celeriac inspect active-queues` (or `active_queues`): the queues each worker consumes.
struct InspectActiveQueuesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "active-queues", abstract: "List the queues each worker consumes.",
    aliases: ["active_queues"])
  @OptionGroup var options: RemoteControlOptions
  func run() throws {
    try RemoteControlCall(method: "active_queues", describe: RemoteControlCall.describeQueues)
      .run(options)
  }
}

/// `celeriac inspect conf`: each worker's configuration as Celery names it.
struct InspectConfCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "conf", abstract: "Show each worker's configuration (Celery's setting names).")
  @OptionGroup var options: RemoteControlOptions
  func run() throws { try RemoteControlCall(method: "conf").run(options) }
}

/// `celeriac inspect query-task ID…` (or `query_task`): what each worker knows of the tasks.
struct InspectQueryTaskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "query-task", abstract: "Ask the workers about task ids (active, reserved).",
    aliases: ["query_task"])
  @OptionGroup var options: RemoteControlOptions
  @Argument(help: "Task ids.") var taskIDs: [String]

  func validate() throws { try TaskIDArguments.validate(taskIDs) }

  func run() throws {
    try RemoteControlCall(
      method: "query_task", arguments: ["ids": .array(taskIDs.map(JSONValue.string))]
    ).run(options)
  }
}

/// Checks task ids given on the command line.
enum TaskIDArguments {
  /// The most ids one command takes.
  static let maximumCount = 10_000
  /// The longest id accepted.
  static let maximumLength = 256

  static func validate(_ ids: [String]) throws {
    guard !ids.isEmpty else { throw ValidationError("give at least one task id") }
    guard ids.count <= maximumCount else {
      throw ValidationError("more than \(maximumCount) task ids")
    }
    if let bad = ids.first(where: { $0.isEmpty || $0.utf8.count > maximumLength }) {
      throw ValidationError("not a task id: \(bad.prefix(40))")
    }
  }
}
