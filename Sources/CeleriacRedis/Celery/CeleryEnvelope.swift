import CeleriacCore

/// What Celeriac reads of a kombu envelope, in one pass over its bytes (the hot path: every
/// message a worker claims): the body, the content type and encoding, the headers it
/// interprets, the `celeriac_` headers it carries, and three properties. Every other member
/// (`argsrepr`, `origin`, `stamps`, …) is checked as JSON and skipped, not built.
///
/// A member that appears twice keeps its last value, as a parse into a dictionary would.
struct CeleryEnvelope {
  /// The headers Celeriac interprets, as they were read.
  struct Headers {
    var task: JSONValue?
    var id: JSONValue?
    var eta: JSONValue?
    var expires: JSONValue?
    var retries: JSONValue?
    var timeLimit: JSONValue?
    var rootID: JSONValue?
    var parentID: JSONValue?
    var group: JSONValue?
    var groupIndex: JSONValue?
    var ignoreResult: JSONValue?
    var acksLate: JSONValue?
    var rejectOnWorkerLost: JSONValue?
    var maxRedeliveries: JSONValue?
    var idempotencyKey: JSONValue?
    var redeliveries: JSONValue?
    /// The `celeriac_` headers Celeriac does not interpret (beat's entry name and due time):
    /// they travel with the task.
    var carried: [String: JSONValue] = [:]
  }

  /// `body`: the base64 (or plain) text of `[args, kwargs, embed]`; nil when absent or null.
  var body: JSONValue?
  /// `content-type`.
  var contentType: String?
  /// `content-encoding`.
  var contentEncoding: String?
  /// `headers`.
  var headers = Headers()
  /// `properties.body_encoding`.
  var bodyEncoding: JSONValue?
  /// `properties.priority`.
  var priority: JSONValue?
  /// `properties.delivery_info.routing_key`.
  var routingKey: JSONValue?

  /// The envelope of `raw`; nil when it is not JSON, not an object, or one of `content-type`,
  /// `content-encoding`, `headers` and `properties` has the wrong type.
  init?(parsing raw: String) {
    var raw = raw
    guard let envelope = raw.withUTF8({ Self.read($0) }) else { return nil }
    self = envelope
  }

  private init() {}

  private static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> CeleryEnvelope? {
    var envelope = CeleryEnvelope()
    var wellTyped = true
    do {
      let isObject = try JSONParser.read(bytes) { (parser) throws(JSONParseError) in
        try parser.readObject { (key, parser) throws(JSONParseError) in
          if key.equals("body") {
            envelope.body = try parser.readValue().nonNull
          } else if key.equals("content-type") {
            envelope.contentType = try parser.readOptionalString(&wellTyped)
          } else if key.equals("content-encoding") {
            envelope.contentEncoding = try parser.readOptionalString(&wellTyped)
          } else if key.equals("headers") {
            envelope.headers = Headers()
            try readHeaders(&parser, into: &envelope.headers, &wellTyped)
          } else if key.equals("properties") {
            envelope.bodyEncoding = nil
            envelope.priority = nil
            envelope.routingKey = nil
            try readProperties(&parser, into: &envelope, &wellTyped)
          }
        }
      }
      guard isObject, wellTyped else { return nil }
    } catch {
      return nil
    }
    return envelope
  }

  private static func readHeaders(
    _ parser: inout JSONParser, into headers: inout Headers, _ wellTyped: inout Bool
  ) throws(JSONParseError) {
    let isObject = try parser.readObject { (key, parser) throws(JSONParseError) in
      if key.hasPrefix("celeriac_") {
        if key.equals("celeriac_acks_late") {
          headers.acksLate = try parser.readValue()
        } else if key.equals("celeriac_reject_on_worker_lost") {
          headers.rejectOnWorkerLost = try parser.readValue()
        } else if key.equals("celeriac_max_redeliveries") {
          headers.maxRedeliveries = try parser.readValue()
        } else if key.equals("celeriac_idempotency_key") {
          headers.idempotencyKey = try parser.readValue()
        } else if key.equals("celeriac_redeliveries") {
          headers.redeliveries = try parser.readValue()
        } else {
          headers.carried[key.text] = try parser.readValue()
        }
      } else if key.equals("task") {
        headers.task = try parser.readValue()
      } else if key.equals("id") {
        headers.id = try parser.readValue()
      } else if key.equals("eta") {
        headers.eta = try parser.readValue()
      } else if key.equals("expires") {
        headers.expires = try parser.readValue()
      } else if key.equals("retries") {
        headers.retries = try parser.readValue()
      } else if key.equals("timelimit") {
        headers.timeLimit = try parser.readValue()
      } else if key.equals("root_id") {
        headers.rootID = try parser.readValue()
      } else if key.equals("parent_id") {
        headers.parentID = try parser.readValue()
      } else if key.equals("group") {
        headers.group = try parser.readValue()
      } else if key.equals("group_index") {
        headers.groupIndex = try parser.readValue()
      } else if key.equals("ignore_result") {
        headers.ignoreResult = try parser.readValue()
      }
    }
    if !isObject, try parser.readValue() != .null { wellTyped = false }
  }

  private static func readProperties(
    _ parser: inout JSONParser, into envelope: inout CeleryEnvelope, _ wellTyped: inout Bool
  ) throws(JSONParseError) {
    let isObject = try parser.readObject { (key, parser) throws(JSONParseError) in
      if key.equals("body_encoding") {
        envelope.bodyEncoding = try parser.readValue()
      } else if key.equals("priority") {
        envelope.priority = try parser.readValue()
      } else if key.equals("delivery_info") {
        envelope.routingKey = nil
        _ = try parser.readObject { (key, parser) throws(JSONParseError) in
          if key.equals("routing_key") { envelope.routingKey = try parser.readValue() }
        }
      }
    }
    if !isObject, try parser.readValue() != .null { wellTyped = false }
  }
}

extension JSONValue {
  /// The value, or nil when it is `null`.
  fileprivate var nonNull: JSONValue? { self == .null ? nil : self }
}

extension JSONParser {
  /// A string or `null` (nil); anything else clears `wellTyped`.
  fileprivate mutating func readOptionalString(_ wellTyped: inout Bool) throws(JSONParseError)
    -> String?
  {
    switch try readValue() {
    case .null: return nil
    case .string(let text): return text
    default:
      wellTyped = false
      return nil
    }
  }
}
