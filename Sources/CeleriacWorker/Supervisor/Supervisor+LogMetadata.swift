import CeleriacCore
import Logging

extension Supervisor {
  /// Runs `body` with the task's id and name, and the child's pool and pid, as the current
  /// task of ``taskLogContext``, so that every line it logs names them (`--log-format json`);
  /// the task that was current before is current again after.
  func withTaskMetadata(_ message: TaskMessage, child: ChildProcess?, _ body: () -> Void) {
    let previous = taskLogContext.enter(
      TaskLogContext.Task(
        id: message.id, name: message.name, pool: child?.poolName, pid: child?.pid))
    defer { taskLogContext.leave(restoring: previous) }
    body()
  }

  /// `logger` with ``taskLogContext``'s metadata added to what its handler already provides.
  static func addingTaskMetadata(to logger: Logger, from context: TaskLogContext) -> Logger {
    var logger = logger
    let providers = [logger.handler.metadataProvider, context.provider].compactMap { $0 }
    logger.handler.metadataProvider = .multiplex(providers)
    return logger
  }
}
