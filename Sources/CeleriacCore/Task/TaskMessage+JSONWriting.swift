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
    // Keys in the order `String`'s `<` sorts them, as `JSONWriter.write` orders an object.
    writer.appendRaw("{\"args\": ")
    writer.write(.array(args))
    if let eta {
      writer.appendRaw(", \"eta\": ")
      writer.writeString(ISO8601.format(eta))
    }
    if let expires {
      writer.appendRaw(", \"expires\": ")
      writer.writeString(ISO8601.format(expires))
    }
    if let groupID {
      writer.appendRaw(", \"groupID\": ")
      writer.writeString(groupID)
    }
    if let groupIndex {
      writer.appendRaw(", \"groupIndex\": ")
      writer.writeInteger(Int64(groupIndex))
    }
    if let headers {
      writer.appendRaw(", \"headers\": ")
      writer.write(.object(headers))
    }
    writer.appendRaw(", \"id\": ")
    writer.writeString(id)
    if let idempotencyKey {
      writer.appendRaw(", \"idempotencyKey\": ")
      writer.writeString(idempotencyKey)
    }
    writer.appendRaw(", \"kwargs\": ")
    writer.write(.object(kwargs))
    writer.appendRaw(", \"name\": ")
    writer.writeString(name)
    writer.appendRaw(", \"options\": {\"acksLate\": ")
    writer.appendRaw(options.acksLate ? "true" : "false")
    writer.appendRaw(", \"ignoreResult\": ")
    writer.appendRaw(options.ignoreResult ? "true" : "false")
    writer.appendRaw(", \"maxRedeliveries\": ")
    writer.writeInteger(Int64(options.maxRedeliveries))
    writer.appendRaw(", \"rejectOnWorkerLost\": ")
    writer.appendRaw(options.rejectOnWorkerLost ? "true" : "false")
    writer.appendRaw("}")
    if let parentID {
      writer.appendRaw(", \"parentID\": ")
      writer.writeString(parentID)
    }
    if let priority {
      writer.appendRaw(", \"priority\": ")
      writer.writeInteger(Int64(priority))
    }
    writer.appendRaw(", \"queue\": ")
    writer.writeString(queue)
    writer.appendRaw(", \"retries\": ")
    writer.writeInteger(Int64(retries))
    if let rootID {
      writer.appendRaw(", \"rootID\": ")
      writer.writeString(rootID)
    }
    writer.appendRaw(", \"timeLimit\": ")
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
      writer.appendRaw(", \"workflow\": ")
      writer.write(workflow.jsonValue)
    }
    writer.appendRaw("}")
  }
}
