extension TaskMessage {
  /// The message's JSON, byte for byte what `JSONWriter.string(jsonValue)` writes, but
  /// written member by member in sorted key order without building the dictionaries of
  /// ``jsonValue`` first (a supervisor writes one per task on Redis, a SQLite producer one per
  /// send). `TaskMessageJSONTests` holds the two texts equal.
  public var jsonText: String {
    var writer = JSONWriter(capacity: 256)
    write(into: &writer)
    return writer.text
  }

  /// Writes ``jsonText`` into `writer`.
  public func write(into writer: inout JSONWriter) {
    // `, "key": ` and the value; `key` is a literal that needs no escape.
    func member(_ key: StaticString) {
      writer.appendRaw(", \"")
      writer.appendRaw(key)
      writer.appendRaw("\": ")
    }
    func member(_ key: StaticString, _ text: String?) {
      guard let text else { return }
      member(key)
      writer.writeString(text)
    }
    func member(_ key: StaticString, _ number: Int?) {
      guard let number else { return }
      member(key)
      writer.writeInteger(Int64(number))
    }
    func member(_ key: StaticString, _ flag: Bool) {
      member(key)
      writer.appendRaw(flag ? "true" : "false")
    }
    // Keys in the order `String`'s `<` sorts them, as `JSONWriter.write` orders an object.
    writer.appendRaw("{\"args\": ")
    writer.write(.array(args))
    member("eta", eta.map(ISO8601.format))
    member("expires", expires.map(ISO8601.format))
    member("groupID", groupID)
    member("groupIndex", groupIndex)
    if let headers {
      member("headers")
      writer.write(.object(headers))
    }
    member("id", id)
    member("idempotencyKey", idempotencyKey)
    member("kwargs")
    writer.write(.object(kwargs))
    member("name", name)
    writer.appendRaw(", \"options\": {\"acksLate\": ")
    writer.appendRaw(options.acksLate ? "true" : "false")
    member("ignoreResult", options.ignoreResult)
    member("maxRedeliveries", options.maxRedeliveries)
    member("rejectOnWorkerLost", options.rejectOnWorkerLost)
    writer.appendRaw("}")
    member("parentID", parentID)
    member("priority", priority)
    member("queue", queue)
    member("retries", retries)
    member("rootID", rootID)
    member("timeLimit")
    switch (timeLimit.hard, timeLimit.soft) {
    case (nil, nil):
      writer.appendRaw("{}")
    case (let hard?, nil):
      writer.appendRaw("{\"hard\": ")
      writer.writeDouble(hard)
      writer.appendRaw("}")
    case (nil, let soft?):
      writer.appendRaw("{\"soft\": ")
      writer.writeDouble(soft)
      writer.appendRaw("}")
    case (let hard?, let soft?):
      writer.appendRaw("{\"hard\": ")
      writer.writeDouble(hard)
      writer.appendRaw(", \"soft\": ")
      writer.writeDouble(soft)
      writer.appendRaw("}")
    }
    if let workflow {
      member("workflow")
      writer.write(workflow.jsonValue)
    }
    writer.appendRaw("}")
  }
}
