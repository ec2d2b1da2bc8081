extension TaskMessage {
  /// Reads the message that comes next from `parser`, in the shape ``jsonValue`` writes, without
  /// building the object around its members (no dictionary, no set of known keys): the hot
  /// paths that receive a message (a child's run line, SQLite's claim) read it here.
  ///
  /// It answers exactly what ``init(jsonValue:)`` answers for the same text once parsed,
  /// repeated keys included (the last one counts, as parsing keeps it): `nil` for another
  /// shape, which the caller leaves to `Codable`. `TaskMessageJSONTests` holds the two equal on
  /// every combination of optional fields and on mutated texts.
  ///
  /// - Throws: ``JSONParseError`` when the text is not JSON.
  public static func read(from parser: inout JSONParser) throws(JSONParseError) -> TaskMessage? {
    var fields = TaskMessageFields()
    var fits = true
    let isObject = try parser.readObject { (key, parser) throws(JSONParseError) in
      guard fits else { return }  // the rest is skipped (and checked) by the reader
      guard let field = TaskMessageFields.Field(key) else {
        fits = false
        return
      }
      fields[field] = try parser.readValue()
    }
    guard isObject, fits else { return nil }
    return TaskMessage(fields: fields)
  }

  /// The message of the JSON text `bytes` as ``read(from:)`` reads it; `nil` when the text is
  /// not JSON or not of that shape.
  public init?(readingJSON bytes: UnsafeBufferPointer<UInt8>) {
    let message = try? JSONParser.read(bytes) { (parser) throws(JSONParseError) in
      try TaskMessage.read(from: &parser)
    }
    guard let message = message ?? nil else { return nil }
    self = message
  }

  /// The message of the JSON text `text`, as ``init(readingJSON:)-(UnsafeBufferPointer<UInt8>)``.
  public init?(readingJSON text: String) {
    var text = text
    let message = text.withUTF8 { TaskMessage(readingJSON: $0) }
    guard let message else { return nil }
    self = message
  }
}

/// The members of a task message as read, before they are checked (``TaskMessage/init(fields:)``);
/// a repeated member keeps its last value, as parsing does.
struct TaskMessageFields {
  /// A member name of the shape ``TaskMessage/jsonValue`` writes.
  enum Field: CaseIterable {
    case id, name, args, kwargs, queue, eta, expires, retries, timeLimit, options, rootID
    case parentID, groupID, idempotencyKey, workflow, headers, priority, groupIndex

    /// Every field, made once (`allCases` builds its array on every call).
    private static let all = allCases

    /// The field named `key`, if any: compared with each name's bytes, no `String` made.
    init?(_ key: JSONKey) {
      guard let field = Self.all.first(where: { key.equals($0.name) }) else { return nil }
      self = field
    }

    /// The field named `key`, if any.
    init?(_ key: String) {
      var key = key
      let field = key.withUTF8 { bytes in
        Self.all.first { field in field.name.withUTF8Buffer { bytes.elementsEqual($0) } }
      }
      guard let field else { return nil }
      self = field
    }

    /// The member's name, as the `Codable` encoding writes it.
    var name: StaticString {
      switch self {
      case .id: "id"
      case .name: "name"
      case .args: "args"
      case .kwargs: "kwargs"
      case .queue: "queue"
      case .eta: "eta"
      case .expires: "expires"
      case .retries: "retries"
      case .timeLimit: "timeLimit"
      case .options: "options"
      case .rootID: "rootID"
      case .parentID: "parentID"
      case .groupID: "groupID"
      case .idempotencyKey: "idempotencyKey"
      case .workflow: "workflow"
      case .headers: "headers"
      case .priority: "priority"
      case .groupIndex: "groupIndex"
      }
    }
  }

  var id, name, args, kwargs, queue, eta, expires, retries, timeLimit, options: JSONValue?
  var rootID, parentID, groupID, idempotencyKey, workflow, headers, priority: JSONValue?
  var groupIndex: JSONValue?

  /// The value of `field`, as last read.
  subscript(field: Field) -> JSONValue? {
    get {
      switch field {
      case .id: id
      case .name: name
      case .args: args
      case .kwargs: kwargs
      case .queue: queue
      case .eta: eta
      case .expires: expires
      case .retries: retries
      case .timeLimit: timeLimit
      case .options: options
      case .rootID: rootID
      case .parentID: parentID
      case .groupID: groupID
      case .idempotencyKey: idempotencyKey
      case .workflow: workflow
      case .headers: headers
      case .priority: priority
      case .groupIndex: groupIndex
      }
    }
    set {
      switch field {
      case .id: id = newValue
      case .name: name = newValue
      case .args: args = newValue
      case .kwargs: kwargs = newValue
      case .queue: queue = newValue
      case .eta: eta = newValue
      case .expires: expires = newValue
      case .retries: retries = newValue
      case .timeLimit: timeLimit = newValue
      case .options: options = newValue
      case .rootID: rootID = newValue
      case .parentID: parentID = newValue
      case .groupID: groupID = newValue
      case .idempotencyKey: idempotencyKey = newValue
      case .workflow: workflow = newValue
      case .headers: headers = newValue
      case .priority: priority = newValue
      case .groupIndex: groupIndex = newValue
      }
    }
  }

  /// Sets the member named `key`; `false` when no member has that name.
  mutating func set(_ key: String, _ value: JSONValue) -> Bool {
    guard let field = Field(key) else { return false }
    self[field] = value
    return true
  }
}
