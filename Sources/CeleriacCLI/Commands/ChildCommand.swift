import ArgumentParser
import Celeriac
import CeleriacWorker
import Foundation

/// `celeriac _child`: what the supervisor spawns. Not for people.
struct ChildCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "_child", abstract: "Internal: a pool child (spawned by the supervisor).",
    shouldDisplay: false)

  @Option var parentPID: Int32
  @Option var heartbeatMs: Int64 = 1000

  func run() throws {
    Self.start(
      app: CeleriacCommandLine.app,
      options: ChildOptions(parentPID: parentPID, heartbeatInterval: .milliseconds(heartbeatMs)))
  }

  /// Parses the child's few arguments by hand (no parser start-up cost) and runs it.
  static func runFast(app: CeleriacApp, arguments: [String]) -> Never {
    var parent: Int32?
    var heartbeat: Int64 = 1000
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
      switch argument {
      case "--parent-pid": parent = iterator.next().flatMap { Int32($0) }
      case "--heartbeat-ms": heartbeat = iterator.next().flatMap { Int64($0) } ?? heartbeat
      default: break
      }
    }
    guard let parent else {
      FileHandle.standardError.write(Data("celeriac _child: --parent-pid is required\n".utf8))
      Glibc.exit(64)
    }
    start(
      app: app,
      options: ChildOptions(parentPID: parent, heartbeatInterval: .milliseconds(heartbeat)))
  }

  static func start(app: CeleriacApp, options: ChildOptions) -> Never {
    let registry = app.registry
    Task.detached { await ChildRuntime.run(registry: registry, options: options) }
    while true { sleep(UInt32.max) }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
