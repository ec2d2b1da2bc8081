import CeleriacCore
import GRDB

extension SQLiteBroker: QueuePeeking {
  /// The queued rows of `queue` in claim order (priority, due time, id), through
  /// `tasks_priority`.
  public func peek(_ queue: String, limit: Int) throws -> [TaskMessage] {
    let count = min(max(limit, 0), QueuePeekLimits.maximumCount)
    guard count > 0, queue.utf8.count <= QueuePeekLimits.maximumQueueLength else { return [] }
    let payloads = try store.read("peek queue", unavailable: .brokerUnavailable) { db in
      try String.fetchAll(
        db,
        sql: """
          SELECT payload FROM tasks WHERE queue = ? AND state = 'queued'
          ORDER BY priority, eta, id LIMIT ?
          """, arguments: [queue, count])
    }
    return payloads.compactMap { TaskMessage(readingJSON: $0) }
  }
}
