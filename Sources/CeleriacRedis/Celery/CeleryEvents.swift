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
    writer.appendRaw("{\"body\": ")
    writer.writeString(Data(text.utf8).base64EncodedString())
    writer.appendRaw(
      ", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", \"headers\": ")
    writer.writeObject([("hostname", .string(hostname))])
    writer.appendRaw(", \"properties\": ")
    writer.writeObject([
      ("delivery_mode", 1),
      (
        "delivery_info",
        .object(["exchange": .string(exchange), "routing_key": .string(routingKey)])
      ),
      ("priority", 0), ("body_encoding", "base64"),
      ("delivery_tag", .string(UUID().lowercasedText)),
    ])
    writer.appendRaw("}")
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

extension CeleryEvents {
  /// The events in one envelope as Celery PUBLISHes it: one event object, or the list of a
  /// `task.multi`; `nil` when it is not a JSON envelope with a base64 (or plain) JSON body of
  /// objects, so that a hostile publisher on the channel cannot trap a monitor.
  public static func decode(_ raw: String) -> [WorkerEvent]? {
    guard case .object(let envelope)? = try? JSONValue(parsing: raw),
      case .string(let body)? = envelope["body"]
    else { return nil }
    var routingKey: String?
    var encoding: String?
    if case .object(let properties)? = envelope["properties"] {
      encoding = properties["body_encoding"]?.stringValue
      if case .object(let info)? = properties["delivery_info"] {
        routingKey = info["routing_key"]?.stringValue
      }
    }
    let bytes: [UInt8]
    switch encoding {
    case "base64"?:
      guard let data = Data(base64Encoded: body) else { return nil }
      bytes = Array(data)
    case nil: bytes = Array(body.utf8)
    default: return nil
    }
    guard let parsed = try? JSONValue(parsing: bytes) else { return nil }
    let objects: [JSONValue]
    if case .array(let list) = parsed { objects = list } else { objects = [parsed] }
    var events: [WorkerEvent] = []
    for object in objects {
      guard case .object(let fields) = object, let type = fields["type"]?.stringValue else {
        return nil
      }
      events.append(
        WorkerEvent(
          routingKey: routingKey ?? type.replacingOccurrences(of: "-", with: "."), fields: fields))
    }
    return events
  }
}

extension RedisBroker: EventSubscribing {
  /// PSUBSCRIBEs to every channel of the `celeryev` exchange on this broker's database.
  public func subscribeEvents() throws -> any EventSubscription {
    let pattern = CeleryEvents.channel(database: url.database, routingKey: "*")
    let subscription = try perform("subscribe to events") {
      try client.subscribeSync(to: pattern, pattern: true)
    }
    return RedisEventSubscription(subscription: subscription)
  }
}

/// Celery's events from a pattern subscription; envelopes that do not decode are skipped.
final class RedisEventSubscription: EventSubscription {
  private let subscription: RedisSubscription

  init(subscription: RedisSubscription) {
    self.subscription = subscription
  }

  func next(timeout: Duration) throws -> [WorkerEvent] {
    // Saturating: a caller's long timeout must not overflow into a trap.
    let nanoseconds = max(0, timeout.wholeNanoseconds)
    guard var first = try subscription.nextMessageSync(timeout: .nanoseconds(nanoseconds))
    else { return [] }
    var events = CeleryEvents.decode(first.readString(length: first.readableBytes) ?? "") ?? []
    // Whatever else is already here, without waiting.
    while var more = try subscription.nextMessageSync(timeout: .zero) {
      events += CeleryEvents.decode(more.readString(length: more.readableBytes) ?? "") ?? []
    }
    return events
  }

  func close() {
    subscription.closeSync()
  }
}
