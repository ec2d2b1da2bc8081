import CeleriacCore
import Foundation

/// The pipeline that enqueues messages as a Celery producer does: kombu's binding sets on a
/// queue's first publish and `LPUSH` onto the queue lists, in chunks that keep each command
/// small, each onto the list of its priority (kombu's `_q_for_pri`). A countdown or ETA rides in the message's `eta` header (a Celeriac claim parks it in
/// `celeriac.delayed.<queue>` until due; a Python worker serves it too). Every message is
/// validated and size-checked first. The one plan both ``RedisBroker`` and
/// ``RedisAsyncPublisher`` send.
struct RedisPublishCommands {
  /// The most messages in one `LPUSH`.
  static let chunkSize = 1_000

  /// The commands, in order.
  private(set) var commands: [[any RESPArgument]] = []
  /// The queues whose binding sets these commands write (to remember once they succeeded).
  private(set) var newlyBound: Set<String> = []

  /// Plans the publish of `messages`; `bound` are the queues already bound by this producer.
  ///
  /// - Throws: ``CeleriacError`` for a message out of range or over `maximumPayloadBytes`.
  init(
    _ messages: [TaskMessage], origin: String, replyTo: String, bound: Set<String>,
    maximumPayloadBytes: Int = TaskMessageLimits.defaultMaximumPayloadBytes
  ) throws {
    var due: [String: [String]] = [:]
    var order: [String] = []
    var lists: [String] = []
    for message in messages {
      try message.validate()
      let raw = CeleryProtocol.encode(message, origin: origin, replyTo: replyTo)
      try PayloadLimit.check(raw, of: message, maximum: maximumPayloadBytes)
      if !order.contains(message.queue) { order.append(message.queue) }
      let list = CeleryProtocol.priorityQueue(of: message.queue, priority: message.priority)
      if due[list] == nil { lists.append(list) }
      due[list, default: []].append(raw)
    }
    for queue in order where !bound.contains(queue) {
      let member = CeleryProtocol.bindingMember(of: queue)
      commands.append(["SADD", RedisKeys.binding(queue), member])
      commands.append(["SADD", RedisKeys.permanentBinding(queue), member])
      newlyBound.insert(queue)
    }
    for list in lists {
      let raws = due[list] ?? []
      for start in stride(from: 0, to: raws.count, by: Self.chunkSize) {
        var command: [any RESPArgument] = ["LPUSH", list]
        for raw in raws[start..<min(start + Self.chunkSize, raws.count)] { command.append(raw) }
        commands.append(command)
      }
    }
  }
}
