import Logging
import Synchronization

/// The task the supervisor is handling, as log metadata (`task_id`, `task_name`, `pool`,
/// `pid`) that is built only when a line is written: the supervisor's logger reads it through
/// a `Logger.MetadataProvider`. Setting and clearing four metadata keys on the logger around
/// every task cost about 23,000 instructions a task, though at the default level nothing
/// about a successful task is written.
final class TaskLogContext: Sendable {
  /// The task and the child running it.
  struct Task: Sendable {
    var id: String
    var name: String
    var pool: String?
    var pid: Int32?
  }

  private let current = Mutex<Task?>(nil)

  /// Makes `task` the current one and returns the one it replaces.
  func enter(_ task: Task) -> Task? {
    current.withLock { current in
      let previous = current
      current = task
      return previous
    }
  }

  /// Makes `task` (the one ``enter(_:)`` returned) current again.
  func leave(restoring task: Task?) {
    current.withLock { $0 = task }
  }

  /// The current task's metadata (empty when there is none).
  var metadata: Logger.Metadata {
    guard let task = current.withLock({ $0 }) else { return [:] }
    var metadata: Logger.Metadata = ["task_id": .string(task.id), "task_name": .string(task.name)]
    if let pool = task.pool { metadata["pool"] = .string(pool) }
    if let pid = task.pid { metadata["pid"] = .stringConvertible(pid) }
    return metadata
  }

  /// A provider of ``metadata``, to add to a logger's handler.
  var provider: Logger.MetadataProvider {
    Logger.MetadataProvider { [self] in self.metadata }
  }
}
