import CeleriacCore
import Foundation

/// Celery's events on Redis, as captured in `shared/celery-wire/control/`: a kombu envelope
/// PUBLISHed on `/<db>.celeryev/<routing key>` (fanout exchange `celeryev`), header
/// `hostname`, base64 body of one event object (`worker.heartbeat`, `worker.online`, …) or a
/// list of task events (`task.multi`).
public enum CeleryEvents {
  /// The events exchange.
  public static let exchange = "celeryev"

  /// The channel of `routingKey` for the broker's database.
  public static func channel(database: Int, routingKey: String) -> String {
    "/\(database).\(exchange)/\(routingKey)"
  }

  /// The envelope of `body` (an event or a list of them) sent by `hostname`.
  public static func envelope(_ body: JSONValue, routingKey: String, hostname: String) -> String {
    let text = JSONWriter.string(body)
    var writer = JSONWriter(capacity: text.utf8.count * 2 + 256)
    writer.text.append("{\"body\": ")
    writer.writeString(Data(text.utf8).base64EncodedString())
    writer.text.append(
      ", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", \"headers\": ")
    writer.writeObject([("hostname", .string(hostname))])
    writer.text.append(", \"properties\": ")
    writer.writeObject([
      ("delivery_mode", 1),
      (
        "delivery_info",
        .object(["exchange": .string(exchange), "routing_key": .string(routingKey)])
      ),
      ("priority", 0), ("body_encoding", "base64"),
      ("delivery_tag", .string(UUID().uuidString.lowercased())),
    ])
    writer.text.append("}")
    return writer.text
  }
}

extension RedisBroker: EventPublishing {
  /// PUBLISHes the events in one pipeline: consecutive task events as one `task.multi` list,
  /// every other event alone.
  public func publishEvents(_ events: [WorkerEvent]) throws {
    guard !events.isEmpty else { return }
    var commands: [[any RESPArgument]] = []
    var batch: [JSONValue] = []
    var hostname = ""
    func flushBatch() {
      guard !batch.isEmpty else { return }
      commands.append([
        "PUBLISH", CeleryEvents.channel(database: url.database, routingKey: "task.multi"),
        CeleryEvents.envelope(.array(batch), routingKey: "task.multi", hostname: hostname),
      ])
      batch.removeAll()
    }
    for event in events {
      hostname = event.fields["hostname"]?.stringValue ?? hostname
      if event.routingKey == "task.multi" {
        batch.append(.object(event.fields))
        continue
      }
      flushBatch()
      commands.append([
        "PUBLISH", CeleryEvents.channel(database: url.database, routingKey: event.routingKey),
        CeleryEvents.envelope(
          .object(event.fields), routingKey: event.routingKey, hostname: hostname),
      ])
    }
    flushBatch()
    try perform("publish events") { try RedisFailure.check(client.pipelineSync(commands)) }
  }
}
