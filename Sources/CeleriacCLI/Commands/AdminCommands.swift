import ArgumentParser
import Celeriac
import Foundation

/// `-Q/--queues a,b`, shared by the commands that look at queues.
struct QueueListOptions: ParsableArguments {
  @Option(
    name: [.customShort("Q"), .customLong("queues")],
    help: "Comma-separated queues (default: celery; inspect adds every queue a worker serves).")
  var queues: String?

  /// The queues named, or `nil` when the flag was not given.
  var names: [String]? {
    queues.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
  }
}

/// `celeriac inspect [verb]`: with no verb, the summary read from the broker; with one, the
/// remote-control query answered by every live worker (`ping`, `active`, …).
struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show queue depths and workers, or ask the live workers (ping, active, stats, …).",
    subcommands: [
      InspectSummaryCommand.self,
      RemoteControlVerbCommand<InspectPing, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<InspectActive, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<InspectReserved, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<InspectScheduled, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<InspectRevoked, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<InspectRegistered, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<InspectStats, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<InspectActiveQueues, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<InspectConf, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<InspectQueryTask, QueryTaskArguments>.self,
    ],
    defaultSubcommand: InspectSummaryCommand.self)
}

/// `celeriac inspect` (`celeriac inspect summary`): queue depths, workers and their pools,
/// dead letters, tasks, as stored in the broker.
struct InspectSummaryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "summary", abstract: "Show queue depths, dead letters and registered tasks.")

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var queues: QueueListOptions

  func run() throws {
    let open = try connection.connect(CeleriacCommandLine.app)
    let workers = try open.broker.workerStatuses()
    let served = workers.flatMap { $0.pools.flatMap(\.queues) }
    var seen: Set<String> = []
    let names = (queues.names ?? [TaskOptions.defaultQueue] + served).filter {
      seen.insert($0).inserted
    }
    let depths = try open.broker.depths(of: names)
    print("queues:")
    for name in names { print("  \(name): \(depths[name] ?? 0) waiting") }
    print("workers (\(workers.count)):")
    for worker in workers {
      print(
        "  \(worker.hostname) pid \(worker.pid) \(worker.state): \(worker.succeeded) succeeded, \(worker.failed) failed"
      )
      for pool in worker.pools {
        print(
          "    pool \(pool.name): \(pool.busy) busy, \(pool.idle) idle, target \(pool.target) [\(pool.minimum)..\(pool.maximum)], \(pool.depth) queued"
        )
      }
    }
    let dead = try open.broker.deadLetters(limit: 10)
    print("dead letters (latest \(dead.count)):")
    for entry in dead { print("  \(entry.taskID ?? "?") from \(entry.queue): \(entry.reason)") }
    BeatInspection.print(app: CeleriacCommandLine.app)
    print("registered tasks:")
    for name in CeleriacCommandLine.app.registry.names { print("  \(name)") }
  }
}

/// `celeriac purge -Q queue`.
struct PurgeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "purge", abstract: "Delete every waiting task of the queues.")

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var queues: QueueListOptions

  func run() throws {
    let open = try connection.connect(CeleriacCommandLine.app)
    for name in queues.names ?? [TaskOptions.defaultQueue] {
      print("\(name): purged \(try open.broker.purge(name)) tasks")
    }
  }
}

/// `celeriac revoke ID…`.
struct RevokeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "revoke", abstract: "Revoke tasks: a worker that has not started them will not.")

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "Task ids.") var taskIDs: [String]

  func run() throws {
    let open = try connection.connect(CeleriacCommandLine.app)
    try open.backend.revoke(taskIDs)
    print("revoked \(taskIDs.count) tasks")
  }
}
