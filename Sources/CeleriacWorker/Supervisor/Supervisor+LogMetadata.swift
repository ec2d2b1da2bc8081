import CeleriacCore
import Logging

extension Supervisor {
  /// The metadata keys set while the supervisor logs about one task (`--log-format json`).
  static let taskMetadataKeys = ["task_id", "task_name", "pool", "pid"]

  /// Runs `body` with the task's id and name, and the child's pool and pid, as logger
  /// metadata, so that every line it logs names them; the keys are cleared after.
  func withTaskMetadata(_ message: TaskMessage, child: ChildProcess?, _ body: () -> Void) {
    logger[metadataKey: "task_id"] = .string(message.id)
    logger[metadataKey: "task_name"] = .string(message.name)
    if let child {
      logger[metadataKey: "pool"] = .string(child.poolName)
      logger[metadataKey: "pid"] = .stringConvertible(child.pid)
    }
    defer {
      for key in Self.taskMetadataKeys { logger[metadataKey: key] = nil }
    }
    body()
  }
}
