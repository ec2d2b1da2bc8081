import ArgumentParser
import Celeriac

/// `celeriac inspect`: queue depths and dead-letter entries.
struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect", abstract: "Show queue depths, dead letters and registered tasks.")

  @OptionGroup var connection: ConnectionOptions
  @Option(
    name: [.customShort("Q"), .customLong("queues")],
    help: "Comma-separated queues (default: celery).")
  var queues: String = TaskOptions.defaultQueue

  func run() throws {
    let open = try connection.connect(CeleriacCommandLine.app)
    let names = queues.split(separator: ",").map(String.init)
    let depths = try open.broker.depths(of: names)
    print("queues:")
    for name in names { print("  \(name): \(depths[name] ?? 0) waiting") }
    let workers = try open.broker.workerStatuses()
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
    print("registered tasks:")
    for name in CeleriacCommandLine.app.registry.names { print("  \(name)") }
  }
}

/// `celeriac purge -Q queue`.
struct PurgeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "purge", abstract: "Delete every waiting task of the queues.")

  @OptionGroup var connection: ConnectionOptions
  @Option(
    name: [.customShort("Q"), .customLong("queues")],
    help: "Comma-separated queues (default: celery).")
  var queues: String = TaskOptions.defaultQueue

  func run() throws {
    let open = try connection.connect(CeleriacCommandLine.app)
    for name in queues.split(separator: ",").map(String.init) {
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
