import CeleriacCore

extension RedisBroker: QueuePeeking {
  /// The next messages of kombu's lists for `queue` (priority lists in the order a claim reads
  /// them; within one, the right end is next), then the delayed set by due time.
  public func peek(_ queue: String, limit: Int) throws -> [TaskMessage] {
    let count = min(max(limit, 0), QueuePeekLimits.maximumCount)
    guard count > 0, queue.utf8.count <= QueuePeekLimits.maximumQueueLength else { return [] }
    var raw: [String] = []
    for list in CeleryProtocol.priorityQueues(of: queue) where raw.count < count {
      let reply = try perform("peek queue") {
        try client.sendSync(["LRANGE", list, -(count - raw.count), -1]).checked()
      }
      raw += (reply.array ?? []).compactMap(\.string).reversed()
    }
    if raw.count < count {
      let reply = try perform("peek delayed") {
        try client.sendSync(["ZRANGE", RedisKeys.delayed(queue), 0, count - raw.count - 1])
          .checked()
      }
      raw += (reply.array ?? []).compactMap(\.string)
    }
    return raw.compactMap { try? CeleryProtocol.decode($0, queue: queue).message }
  }
}
