import Foundation

extension TaskMessage {
  /// The message as the `JSONValue` its `Codable` encoding (through ``JSONCoding``) writes:
  /// the same keys, optional fields left out when `nil`, dates as ISO 8601 strings. The
  /// supervisor writes a child's run line from it with ``JSONWriter`` rather than
  /// `JSONEncoder`, which cost more than anything else per task; the child decodes it with
  /// `Codable` as before. `TaskMessageJSONTests` holds the two encodings equal and fails when a
  /// stored property is added to the message without being added here.
  public var jsonValue: JSONValue {
    var fields: [String: JSONValue] = [
      "id": .string(id), "name": .string(name), "args": .array(args), "kwargs": .object(kwargs),
      "queue": .string(queue), "retries": .int(Int64(retries)),
      "timeLimit": timeLimit.jsonValue, "options": options.jsonValue,
    ]
    if let eta { fields["eta"] = .string(ISO8601.format(eta)) }
    if let expires { fields["expires"] = .string(ISO8601.format(expires)) }
    if let rootID { fields["rootID"] = .string(rootID) }
    if let parentID { fields["parentID"] = .string(parentID) }
    if let groupID { fields["groupID"] = .string(groupID) }
    if let idempotencyKey { fields["idempotencyKey"] = .string(idempotencyKey) }
    if let workflow { fields["workflow"] = workflow.jsonValue }
    if let headers { fields["headers"] = .object(headers) }
    if let priority { fields["priority"] = .int(Int64(priority)) }
    if let groupIndex { fields["groupIndex"] = .int(Int64(groupIndex)) }
    return .object(fields)
  }
}

extension TimeLimits {
  /// The limits as their `Codable` encoding writes them.
  public var jsonValue: JSONValue {
    var fields: [String: JSONValue] = [:]
    if let soft { fields["soft"] = .double(soft) }
    if let hard { fields["hard"] = .double(hard) }
    return .object(fields)
  }
}

extension TaskOptions {
  /// The options as their `Codable` encoding writes them.
  public var jsonValue: JSONValue {
    [
      "acksLate": .bool(acksLate), "rejectOnWorkerLost": .bool(rejectOnWorkerLost),
      "ignoreResult": .bool(ignoreResult), "maxRedeliveries": .int(Int64(maxRedeliveries)),
    ]
  }
}

extension TaskWorkflow {
  /// The embed as its `Codable` encoding writes it.
  public var jsonValue: JSONValue {
    var fields: [String: JSONValue] = [:]
    if let callbacks { fields["callbacks"] = .array(callbacks) }
    if let errbacks { fields["errbacks"] = .array(errbacks) }
    if let chain { fields["chain"] = .array(chain) }
    if let chord { fields["chord"] = chord }
    return .object(fields)
  }
}

extension TaskMessage {
  /// The message of `json` when it has exactly the shape ``jsonValue`` writes (the keys of the
  /// `Codable` encoding, dates as ISO 8601 strings), else `nil`, so that the caller falls back
  /// to `Codable`, which decides.
  public init?(jsonValue json: JSONValue) {
    guard case .object(let object) = json else { return nil }
    var fields = TaskMessageFields()
    for (key, value) in object where !fields.set(key, value) { return nil }
    self.init(fields: fields)
  }

  /// The message of `fields`, checked as ``init(jsonValue:)`` checks the object's members.
  init?(fields: TaskMessageFields) {
    guard case .string(let id)? = fields.id, case .string(let name)? = fields.name,
      case .array(let args)? = fields.args, case .object(let kwargs)? = fields.kwargs,
      case .string(let queue)? = fields.queue, case .int(let retries)? = fields.retries,
      let retryCount = Int(exactly: retries),
      let timeLimit = fields.timeLimit.flatMap(TimeLimits.init(jsonValue:)),
      let options = fields.options.flatMap(TaskOptions.init(jsonValue:))
    else { return nil }
    let date = { (value: JSONValue) in value.stringValue.flatMap(ISO8601.parse) }
    let int = { (value: JSONValue) in value.exactIntValue.flatMap { Int(exactly: $0) } }
    let string = { (value: JSONValue) in value.stringValue }
    guard let eta = fields.eta.readIfPresent(date),
      let expires = fields.expires.readIfPresent(date),
      let priority = fields.priority.readIfPresent(int),
      let groupIndex = fields.groupIndex.readIfPresent(int),
      let rootID = fields.rootID.readIfPresent(string),
      let parentID = fields.parentID.readIfPresent(string),
      let groupID = fields.groupID.readIfPresent(string),
      let idempotencyKey = fields.idempotencyKey.readIfPresent(string),
      let workflow = fields.workflow.readIfPresent(TaskWorkflow.init(jsonValue:)),
      let headers = fields.headers.readIfPresent({ $0.objectValue })
    else { return nil }
    self.init(
      id: id, name: name, args: args, kwargs: kwargs, queue: queue, eta: eta, expires: expires,
      retries: retryCount, timeLimit: timeLimit, options: options, rootID: rootID,
      parentID: parentID, groupID: groupID, idempotencyKey: idempotencyKey, workflow: workflow,
      headers: headers, priority: priority, groupIndex: groupIndex)
  }
}

extension TimeLimits {
  /// The limits of `json` in the shape ``jsonValue`` writes, else `nil`.
  public init?(jsonValue json: JSONValue) {
    guard case .object(let fields) = json,
      fields.keys.allSatisfy({ $0 == "soft" || $0 == "hard" })
    else { return nil }
    guard let soft = fields.optionalMember("soft", \.doubleValue),
      let hard = fields.optionalMember("hard", \.doubleValue)
    else { return nil }
    self.init(soft: soft, hard: hard)
  }
}

extension TaskOptions {
  /// The options of `json` in the shape ``jsonValue`` writes, else `nil`.
  public init?(jsonValue json: JSONValue) {
    guard case .object(let fields) = json, fields.count == 4,
      case .bool(let acksLate)? = fields["acksLate"],
      case .bool(let rejectOnWorkerLost)? = fields["rejectOnWorkerLost"],
      case .bool(let ignoreResult)? = fields["ignoreResult"],
      case .int(let maxRedeliveries)? = fields["maxRedeliveries"],
      let redeliveries = Int(exactly: maxRedeliveries)
    else { return nil }
    self.init(
      acksLate: acksLate, rejectOnWorkerLost: rejectOnWorkerLost, ignoreResult: ignoreResult,
      maxRedeliveries: redeliveries)
  }
}

extension TaskWorkflow {
  /// The embed of `json` in the shape ``jsonValue`` writes, else `nil`.
  public init?(jsonValue json: JSONValue) {
    guard case .object(let fields) = json else { return nil }
    var workflow = TaskWorkflow()
    for (key, value) in fields {
      switch (key, value) {
      case ("callbacks", .array(let list)): workflow.callbacks = list
      case ("errbacks", .array(let list)): workflow.errbacks = list
      case ("chain", .array(let list)): workflow.chain = list
      case ("chord", .null): workflow.chord = nil  // as `decodeIfPresent` reads it
      case ("chord", let body): workflow.chord = body
      default: return nil
      }
    }
    self = workflow
  }
}
