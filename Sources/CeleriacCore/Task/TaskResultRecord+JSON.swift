import Foundation

extension TaskResultRecord {
  /// The record as the `JSONValue` its `Codable` encoding (through ``JSONCoding``) writes: the
  /// same keys, optional fields left out when `nil`, dates as ISO 8601 strings. The supervisor
  /// stores every outcome through it and ``JSONWriter`` rather than `JSONEncoder`, which was a
  /// quarter of its time per task on SQLite. `TaskResultRecordJSONTests` holds the two
  /// encodings equal and fails when a stored property is added without being added here.
  public var jsonValue: JSONValue {
    var fields: [String: JSONValue] = [
      "taskID": .string(taskID), "state": .string(state.rawValue),
      "dateDone": .string(ISO8601.format(dateDone)), "retries": .int(Int64(retries)),
      "children": .array(children.map(JSONValue.string)),
    ]
    if let result { fields["result"] = result }
    if let failure { fields["failure"] = failure.jsonValue }
    if let name { fields["name"] = .string(name) }
    if let headers { fields["headers"] = .object(headers) }
    if let args { fields["args"] = .array(args) }
    if let kwargs { fields["kwargs"] = .object(kwargs) }
    if let queue { fields["queue"] = .string(queue) }
    if let worker { fields["worker"] = .string(worker) }
    if let pid { fields["pid"] = .int(Int64(pid)) }
    if let dateStarted { fields["dateStarted"] = .string(ISO8601.format(dateStarted)) }
    return .object(fields)
  }

  /// The record as stored JSON text: what `JSONWriter.string(jsonValue)` writes (keys in
  /// sorted order), written field by field without building ``jsonValue``'s dictionary first.
  /// Hashing that dictionary's keys and sorting them again was half of the cost of storing an
  /// outcome, which the supervisor does for every task (`TaskResultRecordJSONTests` holds the
  /// two texts equal).
  public var jsonText: String {
    var writer = JSONWriter(capacity: 256)
    var first = true
    func key(_ name: StaticString) {
      writer.appendRaw(first ? "{\"" : ", \"")
      writer.appendRaw(name)
      writer.appendRaw("\": ")
      first = false
    }
    // The order of `Self.jsonKeys.sorted()`.
    if let args {
      key("args")
      writer.write(.array(args))
    }
    key("children")
    writer.write(.array(children.map(JSONValue.string)))
    key("dateDone")
    writer.writeString(ISO8601.format(dateDone))
    if let dateStarted {
      key("dateStarted")
      writer.writeString(ISO8601.format(dateStarted))
    }
    if let failure {
      key("failure")
      writer.write(failure.jsonValue)
    }
    if let headers {
      key("headers")
      writer.write(.object(headers))
    }
    if let kwargs {
      key("kwargs")
      writer.write(.object(kwargs))
    }
    if let name {
      key("name")
      writer.writeString(name)
    }
    if let pid {
      key("pid")
      writer.writeInteger(Int64(pid))
    }
    if let queue {
      key("queue")
      writer.writeString(queue)
    }
    if let result {
      key("result")
      writer.write(result)
    }
    key("retries")
    writer.writeInteger(Int64(retries))
    key("state")
    writer.writeString(state.rawValue)
    key("taskID")
    writer.writeString(taskID)
    if let worker {
      key("worker")
      writer.writeString(worker)
    }
    writer.appendRaw("}")
    return writer.text
  }

  /// The record of `json` when it has exactly the shape ``jsonValue`` writes, else `nil`, so
  /// that the caller falls back to `Codable`, which decides (an explicit `null`, a number
  /// where a string belongs, an unknown key: all go to `Codable`).
  public init?(jsonValue json: JSONValue) {
    guard case .object(let fields) = json, case .string(let taskID)? = fields["taskID"],
      case .string(let state)? = fields["state"], !state.isEmpty,
      case .string(let done)? = fields["dateDone"], let dateDone = ISO8601.parse(done),
      case .int(let retries)? = fields["retries"], let retryCount = Int(exactly: retries),
      case .array(let childValues)? = fields["children"]
    else { return nil }
    let children = childValues.compactMap(\.stringValue)
    guard children.count == childValues.count else { return nil }
    let date = { (value: JSONValue) in value.stringValue.flatMap(ISO8601.parse) }
    guard let name = fields.optionalMember("name", \.stringValue),
      let queue = fields.optionalMember("queue", \.stringValue),
      let worker = fields.optionalMember("worker", \.stringValue),
      let dateStarted = fields.optionalMember("dateStarted", date),
      let headers = fields.optionalMember("headers", \.objectValue),
      let args = fields.optionalMember("args", \.arrayValue),
      let kwargs = fields.optionalMember("kwargs", \.objectValue),
      let pid = fields.optionalMember("pid", { $0.exactIntValue.flatMap { Int32(exactly: $0) } }),
      let failure = fields.optionalMember("failure", TaskFailure.init(jsonValue:)),
      // Codable reads an explicit null as no result: leave that to it.
      let result = fields.optionalMember("result", { $0 == .null ? Optional.none : $0 })
    else { return nil }
    guard fields.keys.allSatisfy(Self.jsonKeys.contains) else { return nil }
    self.init(
      taskID: taskID, state: TaskState(rawValue: state), result: result, failure: failure,
      dateDone: dateDone, name: name, retries: retryCount, children: children,
      headers: headers)
    self.args = args
    self.kwargs = kwargs
    self.queue = queue
    self.worker = worker
    self.pid = pid
    self.dateStarted = dateStarted
  }

  /// The keys ``jsonValue`` may write.
  private static let jsonKeys: Set<String> = [
    "taskID", "state", "result", "failure", "dateDone", "name", "retries", "children",
    "headers", "args", "kwargs", "queue", "worker", "pid", "dateStarted",
  ]

  /// Decodes a stored record: the hand-written reader for the shape ``jsonValue`` writes,
  /// `Codable` for any other.
  public static func decode(stored text: String) throws -> TaskResultRecord {
    if let value = try? JSONValue(parsing: text), let record = TaskResultRecord(jsonValue: value) {
      return record
    }
    return try JSONCoding.decode(TaskResultRecord.self, from: text)
  }
}

extension TaskFailure {
  /// The failure as its `Codable` encoding writes it.
  public var jsonValue: JSONValue {
    var fields: [String: JSONValue] = [
      "type": .string(type), "message": .string(message), "module": .string(module),
    ]
    if let traceback { fields["traceback"] = .string(traceback) }
    return .object(fields)
  }

  /// The failure of `json` in the shape ``jsonValue`` writes, else `nil`.
  public init?(jsonValue json: JSONValue) {
    guard case .object(let fields) = json, case .string(let type)? = fields["type"],
      case .string(let message)? = fields["message"], case .string(let module)? = fields["module"],
      let traceback = fields.optionalMember("traceback", \.stringValue),
      fields.keys.allSatisfy({ ["type", "message", "module", "traceback"].contains($0) })
    else { return nil }
    self.init(type: type, message: message, module: module, traceback: traceback)
  }
}
