import Celeriac
import CeleriacWorker
import Foundation

/// `celeriac _child`: what the supervisor spawns; not for people. `CeleriacCommandLine.main`
/// recognises it before any argument parsing, so a child starts without the parser's cost.
enum ChildCommand {
  /// The subcommand name the supervisor passes.
  static let commandName = "_child"

  /// Parses the child's few arguments by hand (no parser start-up cost) and runs it.
  static func run(app: CeleriacApp, arguments: [String]) -> Never {
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
    // Linux keeps the parent-death signal per thread: set it here, on the main thread, which
    // lives as long as the process, before any other thread exists.
    ChildRuntime.dieWithParent(options)
    let registry = app.registry
    Task.detached { await ChildRuntime.run(registry: registry, options: options) }
    while true { sleep(UInt32.max) }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
