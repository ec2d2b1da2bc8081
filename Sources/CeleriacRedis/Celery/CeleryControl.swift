import CeleriacCore
import Foundation

/// Celery's remote-control messages on Redis (kombu's `celery.pidbox` fanout exchange), as
/// captured in `shared/celery-wire/control/`: a client PUBLISHes a kombu envelope on
/// `/<db>.celery.pidbox` whose base64 body is `{"method", "arguments", "destination",
/// "pattern", "matcher", "ticket", "reply_to": {"exchange", "routing_key"}}`; each worker
/// LPUSHes its reply envelope (body `{"<hostname>": reply}`, header `ticket`) onto
/// `<routing_key>.<exchange>`, which the client BRPOPs.
public enum CeleryControl {
  /// The fanout exchange of remote-control requests.
  public static let exchange = "celery.pidbox"

  /// The channel requests are published on, for the broker's database.
  public static func channel(database: Int) -> String { "/\(database).\(exchange)" }

  /// Reads a request envelope; `nil` when it is not a JSON remote-control request.
  public static func decodeRequest(_ raw: String) -> ControlRequest? {
    guard case .object(let envelope)? = try? JSONCoding.decode(JSONValue.self, from: raw),
      let body = envelope["body"]?.stringValue, let data = Data(base64Encoded: body),
      case .object(let fields)? = try? JSONCoding.decode(JSONValue.self, from: data),
      let method = fields["method"]?.stringValue, !method.isEmpty, method.utf8.count <= 256
    else { return nil }
    var request = ControlRequest(method: method)
    if case .object(let arguments)? = fields["arguments"] { request.arguments = arguments }
    if case .array(let names)? = fields["destination"] {
      request.destination = names.compactMap(\.stringValue)
    }
    request.ticket = fields["ticket"]?.stringValue
    if case .object(let reply)? = fields["reply_to"], let key = reply["routing_key"]?.stringValue,
      !key.isEmpty
    {
      request.replyTo = ControlReplyAddress(
        exchange: reply["exchange"]?.stringValue ?? "reply.celery.pidbox", routingKey: key)
    }
    return request
  }

  /// The list a reply to `address` is pushed onto.
  public static func replyList(_ address: ControlReplyAddress) -> String {
    address.routingKey + "." + address.exchange
  }

  /// The reply envelope: body `{hostname: reply}`, the request's ticket in the headers.
  public static func encodeReply(
    _ reply: JSONValue, from hostname: String, to request: ControlRequest,
    address: ControlReplyAddress
  ) -> String {
    let body = JSONWriter.string(.object([hostname: reply]))
    var writer = JSONWriter(capacity: body.utf8.count * 2 + 256)
    writer.appendRaw("{\"body\": ")
    writer.writeString(Data(body.utf8).base64EncodedString())
    writer.appendRaw(
      ", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", \"headers\": ")
    writer.writeObject([("ticket", request.ticket.map(JSONValue.string) ?? .null), ("clock", 1)])
    writer.appendRaw(", \"properties\": ")
    writer.writeObject([
      ("delivery_mode", 1),
      (
        "delivery_info",
        .object(["exchange": .string(address.exchange), "routing_key": .string(address.routingKey)])
      ),
      ("priority", 0), ("body_encoding", "base64"),
      ("delivery_tag", .string(UUID().lowercasedText)),
    ])
    writer.appendRaw("}")
    return writer.text
  }

  /// Celery's reply exchange, which callers' reply lists are bound to.
  public static let replyExchange = "reply.celery.pidbox"

  /// The request envelope a caller publishes, as `celery inspect` writes it: the body
  /// `{"method", "arguments", "destination", "pattern", "matcher", "ticket", "reply_to"}`
  /// base64-encoded, and an `expires` header after which workers ignore it.
  public static func encodeRequest(
    _ request: ControlRequest, address: ControlReplyAddress, expires: Double
  ) -> String {
    let body = JSONWriter.string(
      .object([
        "method": .string(request.method), "arguments": .object(request.arguments),
        "destination": request.destination.map { .array($0.map(JSONValue.string)) } ?? .null,
        "pattern": .null, "matcher": .null,
        "ticket": request.ticket.map(JSONValue.string) ?? .null,
        "reply_to": [
          "exchange": .string(address.exchange), "routing_key": .string(address.routingKey),
        ],
      ]))
    var writer = JSONWriter(capacity: body.utf8.count * 2 + 256)
    writer.appendRaw("{\"body\": ")
    writer.writeString(Data(body.utf8).base64EncodedString())
    writer.appendRaw(
      ", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", \"headers\": ")
    writer.writeObject([("clock", 1), ("expires", .double(expires))])
    writer.appendRaw(", \"properties\": ")
    writer.writeObject([
      ("delivery_mode", 2),
      ("delivery_info", .object(["exchange": .string(exchange), "routing_key": ""])),
      ("priority", 0), ("body_encoding", "base64"),
      ("delivery_tag", .string(UUID().lowercasedText)),
    ])
    writer.appendRaw("}")
    return writer.text
  }

  /// Reads a reply envelope: the worker's reply when the envelope answers `ticket`, else `nil`
  /// (a late reply to an earlier request, or anything that is not a reply).
  public static func decodeReply(_ raw: String, ticket: String) -> ControlReply? {
    guard case .object(let envelope)? = try? JSONCoding.decode(JSONValue.self, from: raw),
      let body = envelope["body"]?.stringValue, let data = Data(base64Encoded: body),
      let decoded = try? JSONCoding.decode(JSONValue.self, from: data)
    else { return nil }
    if case .object(let headers)? = envelope["headers"], let echoed = headers["ticket"],
      echoed.stringValue != ticket
    {
      return nil
    }
    return ControlReply(body: decoded)
  }

  /// kombu's binding member (`routing key␆␖pattern␆␖queue`, empty pattern) that routes
  /// replies for `routingKey` to its list: Python workers publish replies through the binding
  /// set `_kombu.binding.reply.celery.pidbox`; Celeriac workers push to the list directly.
  public static func replyBinding(routingKey: String) -> String {
    let separator = CeleryProtocol.prioritySeparator
    return routingKey + separator + separator + routingKey + "." + replyExchange
  }
}
