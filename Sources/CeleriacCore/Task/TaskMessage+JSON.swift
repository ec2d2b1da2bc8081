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
