import CeleriacCore
import Foundation

/// Why a message found in a queue is not a task Celeriac can run; the claim moves it to
/// dead-letter with this reason.
public struct CeleryMessageError: Error, Sendable, Equatable, CustomStringConvertible {
  /// One line naming the problem.
  public var reason: String
  /// The task id, when the message was readable enough to have one.
  public var taskID: String?

  /// Creates an error.
  public init(_ reason: String, taskID: String? = nil) {
    self.reason = reason
    self.taskID = taskID
  }

  /// The reason.
  public var description: String { reason }
}

/// A task message read from a queue, with Celeriac's redelivery counter.
public struct CeleryDecodedMessage: Sendable, Equatable {
  /// The task.
  public var message: TaskMessage
  /// How many times it came back after a lost child or supervisor (header
  /// `celeriac_redeliveries`, 0 for a message from Celery).
  public var redeliveries: Int
}

/// Celery's task message protocol 2 as kombu stores it in a Redis list: a JSON object with a
/// base64 `body` of `[args, kwargs, embed]`, `headers` (task name, id, eta, …) and
/// `properties` (delivery info, delivery tag, …). See `shared/celery-wire/README.md`.
///
/// Celeriac-only options ride in extra headers that Celery ignores: `celeriac_acks_late`,
/// `celeriac_reject_on_worker_lost`, `celeriac_max_redeliveries`, `celeriac_idempotency_key`
/// and `celeriac_redeliveries`. Only JSON content is accepted: a message with any other
/// content type (pickle above all) is rejected unread.
public enum CeleryProtocol {
  /// The only content type accepted and produced.
  public static let contentType = "application/json"
  /// The separator kombu puts between a queue name and its priority (`celery\x06\x163`).
  public static let prioritySeparator = "\u{06}\u{16}"
  /// kombu's priority steps; step 0 is the queue's own list.
  public static let priorityLevels = TaskPriority.redisSteps

  /// Header names of Celeriac's own options.
  public enum Header {
    /// `true` when the task is acknowledged after it finished.
    public static let acksLate = "celeriac_acks_late"
    /// `true` when a task whose child died goes back to the queue.
    public static let rejectOnWorkerLost = "celeriac_reject_on_worker_lost"
    /// How many redeliveries are allowed.
    public static let maxRedeliveries = "celeriac_max_redeliveries"
    /// The idempotency key.
    public static let idempotencyKey = "celeriac_idempotency_key"
    /// How many times the message came back after a lost worker.
    public static let redeliveries = "celeriac_redeliveries"
    /// The prefix of Celeriac's headers: those it does not interpret itself come back in
    /// ``TaskMessage/headers`` (beat's entry name and due time).
    public static let extraPrefix = "celeriac_"
  }

  /// kombu's lists for `queue`, in the order its consumer reads them (`BRPOP celery
  /// celery\x06\x163 celery\x06\x166 celery\x06\x169`).
  public static func priorityQueues(of queue: String) -> [String] {
    priorityLevels.map { $0 == 0 ? queue : queue + prioritySeparator + String($0) }
  }

  /// The list kombu's `_put` pushes a message of `priority` onto (`_q_for_pri`): the queue
  /// itself for step 0, else `queue\x06\x16<step>`.
  public static func priorityQueue(of queue: String, priority: Int?) -> String {
    let step = TaskPriority.redisStep(of: priority ?? TaskPriority.defaultValue)
    return step == 0 ? queue : queue + prioritySeparator + String(step)
  }

  /// The member kombu adds to `_kombu.binding.<queue>` for the default direct exchange.
  public static func bindingMember(of queue: String) -> String {
    queue + prioritySeparator + prioritySeparator + queue
  }

  // MARK: - Encoding

  /// Writes `message` as the JSON string a Celery producer would `LPUSH`.
  ///
  /// - Parameters:
  ///   - redeliveries: the value of the `celeriac_redeliveries` header (omitted when 0).
  ///   - origin: the `origin` header, e.g. `gen1234@host`.
  ///   - replyTo: the `reply_to` property (a Celery client's oid).
  ///   - deliveryTag: the `delivery_tag` property (a fresh UUID by default).
  public static func encode(
    _ message: TaskMessage, redeliveries: Int = 0, origin: String, replyTo: String,
    deliveryTag: String = UUID().lowercasedText
  ) -> String {
    var body = JSONWriter(capacity: 256)
    body.appendRaw("[")
    body.write(.array(message.args))
    body.appendRaw(", ")
    body.write(.object(message.kwargs))
    body.appendRaw(", ")
    body.appendRaw(contentsOf: embed(message.workflow))
    body.appendRaw("]")
    let encodedBody = Data(body.bytes).base64EncodedString()

    // Written member by member, in Celery's order, straight into one buffer: building the
    // headers as an array of `JSONValue` members first cost a third of a producer's send in
    // allocations and releases.
    var writer = JSONWriter(capacity: 1_024)
    func member(_ key: StaticString) {
      writer.appendRaw(", \"")
      writer.appendRaw(key)  // Fixed ASCII names, nothing to escape.
      writer.appendRaw("\": ")
    }
    func string(_ value: String?) {
      if let value { writer.writeString(value) } else { writer.appendRaw("null") }
    }
    func date(_ value: Date?) { string(value.map(ISO8601.format)) }

    writer.appendRaw("{\"body\": ")
    writer.writeString(encodedBody)
    writer.appendRaw(
      ", \"content-encoding\": \"utf-8\", \"content-type\": \"application/json\", \"headers\": "
    )
    writer.appendRaw("{\"lang\": \"py\"")
    member("task")
    writer.writeString(message.name)
    member("id")
    writer.writeString(message.id)
    member("shadow")
    writer.appendRaw("null")
    member("eta")
    date(message.eta)
    member("expires")
    date(message.expires)
    member("group")
    string(message.groupID)
    member("group_index")
    if let index = message.groupIndex {
      writer.writeInteger(Int64(index))
    } else {
      writer.appendRaw("null")
    }
    member("retries")
    writer.writeInteger(Int64(message.retries))
    member("timelimit")
    writer.write(.array([number(message.timeLimit.hard), number(message.timeLimit.soft)]))
    member("root_id")
    writer.writeString(message.rootID ?? message.id)
    member("parent_id")
    string(message.parentID)
    member("argsrepr")
    writer.writeString(PythonRepr.arguments(message.args))
    member("kwargsrepr")
    writer.writeString(PythonRepr.keywordArguments(message.kwargs))
    member("origin")
    writer.writeString(origin)
    member("ignore_result")
    writer.appendRaw(message.options.ignoreResult ? "true" : "false")
    writer.appendRaw(
      ", \"replaced_task_nesting\": 0, \"stamped_headers\": null, \"stamps\": {}")

    // Celeriac's own options, each only when it differs from the default.
    var written = Self.fixedHeaders
    func extra(_ key: String, _ value: JSONValue) {
      writer.writeMember(key, value)
      written.insert(key)
    }
    let options = message.options
    let defaults = TaskOptions()
    if options.acksLate != defaults.acksLate { extra(Header.acksLate, .bool(true)) }
    if options.rejectOnWorkerLost != defaults.rejectOnWorkerLost {
      extra(Header.rejectOnWorkerLost, .bool(options.rejectOnWorkerLost))
    }
    if options.maxRedeliveries != defaults.maxRedeliveries {
      extra(Header.maxRedeliveries, .int(Int64(options.maxRedeliveries)))
    }
    if let key = message.idempotencyKey { extra(Header.idempotencyKey, .string(key)) }
    if redeliveries > 0 { extra(Header.redeliveries, .int(Int64(redeliveries))) }
    // The headers carried for others (beat's), sorted; their names come from outside, so
    // they are escaped, and none may repeat a header written above.
    if let carried = message.headers, !carried.isEmpty {
      for (key, value) in carried.sorted(by: { $0.key < $1.key }) where !written.contains(key) {
        writer.writeMember(key, value)
      }
    }
    writer.appendRaw("}, \"properties\": {\"correlation_id\": ")
    writer.writeString(message.id)
    writer.appendRaw(", \"reply_to\": ")
    writer.writeString(replyTo)
    writer.appendRaw(
      ", \"delivery_mode\": 2, \"delivery_info\": {\"exchange\": \"\", \"routing_key\": ")
    writer.writeString(message.queue)
    writer.appendRaw("}, \"priority\": ")
    writer.writeInteger(Int64(message.priority ?? TaskPriority.defaultValue))
    writer.appendRaw(", \"body_encoding\": \"base64\", \"delivery_tag\": ")
    writer.writeString(deliveryTag)
    writer.appendRaw("}}")
    return writer.text
  }

  /// The headers every message has (a carried header of the same name is not written).
  private static let fixedHeaders: Set<String> = [
    "lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries",
    "timelimit", "root_id", "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result",
    "replaced_task_nesting", "stamped_headers", "stamps",
  ]

  /// The body's third part, `{"callbacks", "errbacks", "chain", "chord"}`.
  private static func embed(_ workflow: TaskWorkflow?) -> String {
    guard let workflow, !workflow.isEmpty else {
      return "{\"callbacks\": null, \"errbacks\": null, \"chain\": null, \"chord\": null}"
    }
    func list(_ values: [JSONValue]?) -> JSONValue { values.map(JSONValue.array) ?? .null }
    var writer = JSONWriter(capacity: 256)
    writer.writeObject([
      ("callbacks", list(workflow.callbacks)), ("errbacks", list(workflow.errbacks)),
      ("chain", list(workflow.chain)), ("chord", workflow.chord ?? .null),
    ])
    return writer.text
  }

  private static func number(_ value: Double?) -> JSONValue {
    guard let value else { return .null }
    if value.rounded() == value, abs(value) < 1e15 { return .int(Int64(value)) }
    return .double(value)
  }

  // MARK: - Decoding

  /// `[args, kwargs, embed]`, as read from a message's body.
  private struct Body {
    /// Whether the body is an array (the others are nil when it is not).
    var isArray = false
    /// How many elements the array has.
    var count = 0
    var args: [JSONValue]?
    var kwargs: [String: JSONValue]?
    var embed: JSONValue?
    /// An object with a `task` member: a protocol 1 message.
    var isProtocol1 = false

    /// Reads the body's JSON, building only its first three elements.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Body, JSONParseError> {
      Result { () throws(JSONParseError) -> Body in
        var body = Body()
        try JSONParser.read(bytes) { (parser) throws(JSONParseError) in
          body.isArray = try parser.readArray { (parser) throws(JSONParseError) in
            switch body.count {
            case 0: if case .array(let args) = try parser.readValue() { body.args = args }
            case 1: if case .object(let kwargs) = try parser.readValue() { body.kwargs = kwargs }
            case 2: body.embed = try parser.readValue()
            default: break  // skipped
            }
            body.count += 1
          }
          if !body.isArray {
            _ = try parser.readObject { (key, _) throws(JSONParseError) in
              if key.equals("task") { body.isProtocol1 = true }
            }
          }
        }
        return body
      }
    }
  }

  /// Reads a message taken from `queue`.
  ///
  /// - Throws: ``CeleryMessageError`` naming what is wrong: not JSON, not protocol 2, a content
  ///   type other than JSON (never deserialized), a body that is not `[args, kwargs, embed]`,
  ///   or a header of the wrong type.
  public static func decode(_ raw: String, queue: String) throws(CeleryMessageError)
    -> CeleryDecodedMessage
  {
    guard let envelope = CeleryEnvelope(parsing: raw) else {
      throw CeleryMessageError("not a kombu message (not a JSON object with body and headers)")
    }
    let headers = envelope.headers
    let taskID = headers.id?.stringValue
    func fail(_ reason: String) -> CeleryMessageError { CeleryMessageError(reason, taskID: taskID) }

    let contentType = envelope.contentType ?? ""
    guard Self.isASCIICaseInsensitive(contentType, Self.contentType) else {
      throw fail(
        "content type '\(contentType)' refused: only \(Self.contentType) is accepted (pickle is never deserialized)"
      )
    }
    if let encoding = envelope.contentEncoding?.lowercased(), encoding != "utf-8",
      encoding != "utf8"
    {
      throw fail("content encoding '\(encoding)' refused: only utf-8 is accepted")
    }
    guard case .string(let bodyText)? = envelope.body else {
      throw fail("message body is not a string")
    }
    let parsed: Result<Body, JSONParseError>
    switch envelope.bodyEncoding?.stringValue {
    case "base64"?:
      guard let data = Data(base64Encoded: bodyText) else {
        throw fail("message body is not valid base64")
      }
      parsed = data.withUnsafeBytes { Body.read($0.bindMemory(to: UInt8.self)) }
    case nil:
      var text = bodyText
      parsed = text.withUTF8 { Body.read($0) }
    case let other?:
      throw fail("body encoding '\(other)' is not supported (expected base64)")
    }
    let body: Body
    switch parsed {
    case .success(let value): body = value
    case .failure(let error): throw fail("message body is not JSON (\(error))")
    }

    guard let name = headers.task?.stringValue else {
      if body.isProtocol1 {
        throw fail("Celery protocol 1 message: only protocol 2 is supported")
      }
      throw fail("not a Celery protocol 2 message: no 'task' header")
    }
    guard let taskID, !taskID.isEmpty else {
      throw fail("not a Celery protocol 2 message: no 'id' header")
    }
    guard body.isArray, body.count >= 2, let args = body.args, let kwargs = body.kwargs else {
      throw fail("message body is not [args, kwargs, embed]")
    }

    var message = TaskMessage(id: taskID, name: name, args: args, kwargs: kwargs, queue: queue)
    if let embed = body.embed { message.workflow = try workflow(embed, fail) }
    message.eta = try date(headers.eta, "eta", fail)
    message.expires = try date(headers.expires, "expires", fail)
    message.retries = Int(clamping: try integer(headers.retries, "retries", fail) ?? 0)
    switch headers.timeLimit {
    case nil, .null?: break
    case .array(let limits)? where limits.count <= 2:
      message.timeLimit = TimeLimits(
        soft: try seconds(limits.count > 1 ? limits[1] : nil, "timelimit[1] (soft)", fail),
        hard: try seconds(limits.first, "timelimit[0] (hard)", fail))
    case let other?:
      throw fail("header 'timelimit' is not [hard, soft]: \(other.compactDescription)")
    }
    // kombu clamps a priority into 0…9 and takes anything else as the default: so do we.
    // Celery always writes a priority; its default, 0, reads as none (the same order).
    if let priority = envelope.priority?.intValue,
      TaskPriority.clamped(priority) != TaskPriority.defaultValue
    {
      message.priority = TaskPriority.clamped(priority)
    }
    message.rootID = headers.rootID?.stringValue
    message.parentID = headers.parentID?.stringValue
    message.groupID = headers.group?.stringValue
    if let index = try integer(headers.groupIndex, "group_index", fail) {
      guard (0...TaskMessageLimits.maximumGroupIndex).contains(index) else {
        throw fail("header 'group_index' is out of range: \(index)")
      }
      message.groupIndex = Int(index)
    }
    message.idempotencyKey = headers.idempotencyKey?.stringValue
    var options = TaskOptions()
    if case .bool(let flag)? = headers.ignoreResult { options.ignoreResult = flag }
    if case .bool(let flag)? = headers.acksLate { options.acksLate = flag }
    if case .bool(let flag)? = headers.rejectOnWorkerLost {
      options.rejectOnWorkerLost = flag
    }
    if let limit = try integer(headers.maxRedeliveries, Header.maxRedeliveries, fail) {
      options.maxRedeliveries = Int(clamping: limit)
    }
    message.options = options
    if !headers.carried.isEmpty { message.headers = headers.carried }
    let redeliveries = try integer(headers.redeliveries, Header.redeliveries, fail) ?? 0
    if let problem = message.validationProblem { throw fail(problem) }
    return CeleryDecodedMessage(
      message: message, redeliveries: Int(clamping: max(0, redeliveries)))
  }

  /// Whether `text` is `lowercase` (ASCII) but for the case of its letters, without the
  /// string `lowercased()` would make.
  private static func isASCIICaseInsensitive(_ text: String, _ lowercase: String) -> Bool {
    text.utf8.elementsEqual(lowercase.utf8) { byte, expected in
      byte == expected
        || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") && byte | 0x20 == expected)
    }
  }

  /// The embed: `null`, or an object whose parts are `null`, lists of signatures (`chain`,
  /// `callbacks`, `errbacks`) or one signature (`chord`).
  private static func workflow(_ embed: JSONValue, _ fail: (String) -> CeleryMessageError)
    throws(CeleryMessageError) -> TaskWorkflow?
  {
    guard case .object(let parts) = embed else {
      if embed == .null { return nil }
      throw fail("message embed is not an object")
    }
    func list(_ key: String) throws(CeleryMessageError) -> [JSONValue]? {
      switch parts[key] {
      case nil, .null?: return nil
      case .array(let values)?: return values.isEmpty ? nil : values
      case let other?:
        throw fail("embed '\(key)' is not a list: \(other.compactDescription.prefix(80))")
      }
    }
    let workflow = TaskWorkflow(
      callbacks: try list("callbacks"), errbacks: try list("errbacks"), chain: try list("chain"),
      chord: parts["chord"].flatMap { $0 == .null ? nil : $0 })
    return workflow.isEmpty ? nil : workflow
  }

  /// A time limit header: `null` or a number of seconds (Celery writes either).
  private static func seconds(
    _ value: JSONValue?, _ name: String, _ fail: (String) -> CeleryMessageError
  ) throws(CeleryMessageError) -> Double? {
    switch value {
    case nil, .null?: return nil
    // Celery reads a zero limit as none (`if time_limit:`).
    case let number? where number.doubleValue != nil:
      return number.doubleValue == 0 ? nil : number.doubleValue
    case let other?:
      throw fail("header '\(name)' is not a number of seconds: \(other.compactDescription)")
    }
  }

  private static func date(
    _ value: JSONValue?, _ name: String, _ fail: (String) -> CeleryMessageError
  ) throws(CeleryMessageError) -> Date? {
    switch value {
    case nil, .null?: return nil
    case .string(let text)?:
      guard let date = ISO8601.parse(text) else {
        throw fail("header '\(name)' is not an ISO 8601 time: \(text)")
      }
      return date
    case let other?:
      throw fail("header '\(name)' is not an ISO 8601 time: \(other.compactDescription)")
    }
  }

  private static func integer(
    _ value: JSONValue?, _ name: String, _ fail: (String) -> CeleryMessageError
  ) throws(CeleryMessageError) -> Int64? {
    switch value {
    case nil, .null?: return nil
    case let number? where number.intValue != nil: return number.intValue
    case let other?:
      throw fail("header '\(name)' is not an integer: \(other.compactDescription)")
    }
  }

  // MARK: - Rewriting stored messages

  /// The message with its `celeriac_redeliveries` header raised by one, or `nil` when the
  /// text is not a JSON object with headers.
  public static func incrementingRedeliveries(_ raw: String) -> String? {
    guard case .object(var object)? = try? JSONValue(parsing: raw),
      case .object(var headers)? = object["headers"]
    else { return nil }
    // A hostile count (negative, or at the top of the range) must not overflow.
    let count = min(max(headers[Header.redeliveries]?.intValue ?? 0, 0), Int64.max - 1)
    headers[Header.redeliveries] = .int(count + 1)
    object["headers"] = .object(headers)
    return JSONWriter.string(.object(object))
  }

  /// The queue a stored message was sent to (`properties.delivery_info.routing_key`), if the
  /// message is readable.
  public static func routingKey(of raw: String) -> String? {
    guard let key = CeleryEnvelope(parsing: raw)?.routingKey?.stringValue, !key.isEmpty
    else { return nil }
    return key
  }

  /// The task id of a stored message, if it has one.
  public static func taskID(of raw: String) -> String? {
    CeleryEnvelope(parsing: raw)?.headers.id?.stringValue
  }
}
