import CeleriacCore
import Foundation

extension RedisBroker: ChordCounting {
  /// How many abandoned chords one housekeeping call takes over at most.
  static let takeOverLimit = 100

  /// The one transaction behind every commit: publishes `messages`, stores `results` and runs
  /// `backendCommands` on the result database, then acknowledges `tags`, in one `MULTI`/`EXEC`
  /// sent as one pipeline. Returns the replies of `backendCommands`, in order.
  func transact(
    publishing messages: [TaskMessage], results: [TaskResultRecord], expiresIn: Duration?,
    acknowledging tags: [DeliveryTag], backendCommands: [[any RESPArgument]] = []
  ) throws -> [RESPValue] {
    let held = heldDeliveries(tags)
    guard !messages.isEmpty || !results.isEmpty || !held.isEmpty || !backendCommands.isEmpty
    else { return [] }
    let (publishing, unbound) = messages.isEmpty ? ([], []) : try publishCommands(messages)
    var commands: [[any RESPArgument]] = [["MULTI"]]
    commands += publishing
    var extraStart = 0
    if !results.isEmpty || !backendCommands.isEmpty {
      let backendDatabase = resultDatabase
      if backendDatabase != url.database { commands.append(["SELECT", backendDatabase]) }
      commands += RedisResultBackend.storeCommands(results, expiresIn: expiresIn)
      extraStart = commands.count - 1
      commands += backendCommands
      if backendDatabase != url.database { commands.append(["SELECT", url.database]) }
    }
    for (_, acknowledging) in held { commands += acknowledging }
    commands.append(["EXEC"])
    let executed = try perform("store results and acknowledge") {
      let replies = try client.pipelineSync(commands)
      try RedisFailure.check(replies)
      guard let executed = replies.last?.array else {
        throw CeleriacError(
          .brokerUnavailable,
          "Redis broker \(redactedURL): the results-and-acknowledgements transaction was aborted")
      }
      try RedisFailure.check(executed)
      return executed
    }
    noteBound(unbound)
    forgetDeliveries(held.map(\.0))
    guard !backendCommands.isEmpty, executed.count >= extraStart + backendCommands.count else {
      return []
    }
    return Array(executed[extraStart..<(extraStart + backendCommands.count)])
  }

  /// `DEL .c` and `SET .s <size> EX <expiry>` on the result database, as Celery's producer
  /// does.
  public func prepareChord(groupID: String, size: Int, expiresIn: Duration?) throws {
    let expiry = expiresIn.map { max(1, Int($0.seconds.rounded(.up))) } ?? 86_400
    _ = try perform("prepare chord \(groupID)") {
      try client.sendSync([
        "EVAL", ChordScripts.prepare, 2, CeleryChord.key(groupID, ".c"),
        CeleryChord.key(groupID, ".s"), resultDatabase, size, expiry,
      ]).checked()
    }
  }

  /// Commits as ``commit(publishing:results:expiresIn:acknowledging:)`` and counts each part
  /// with Celery's algorithm in the same transaction.
  public func commit(
    publishing messages: [TaskMessage], results: [TaskResultRecord], expiresIn: Duration?,
    acknowledging tags: [DeliveryTag], chordParts parts: [ChordPart]
  ) throws -> [CompletedChord] {
    let token = UUID().lowercasedText
    let expiry = expiresIn.map { max(1, Int($0.seconds.rounded(.up))) } ?? 0
    let now = Date().timeIntervalSince1970
    let counting: [[any RESPArgument]] = parts.map { part in
      let group = part.groupID
      return [
        "EVAL", ChordScripts.part, 8,
        CeleryChord.key(group, ".j"), CeleryChord.key(group, ".t"),
        CeleryChord.key(group, ".s"), CeleryChord.key(group, ".d"), CeleryChord.groupKey(group),
        CeleryChord.key(group, ".c"), CeleryChord.key(group, ".celeriac_body"),
        CeleryChord.completedKey,
        part.taskID, CeleryChord.encodePart(part.outcome),
        part.groupIndex.map(String.init) ?? "+inf", expiry, token,
        CeleryChord.encodeBody(part.chord), now,
      ]
    }
    let replies = try transact(
      publishing: messages, results: results, expiresIn: expiresIn, acknowledging: tags,
      backendCommands: counting)
    var completed: [CompletedChord] = []
    for (part, reply) in zip(parts, replies) {
      if let pair = reply.array, pair.count == 2, pair[1].int == 1 {
        completed.append(CompletedChord(body: part.chord, token: token))
      }
    }
    return completed
  }

  /// Reads the parts, resolves the body (``ChordResolution``) and writes it in one script that
  /// checks the claim first.
  public func finish(
    _ chord: CompletedChord, expiresIn: Duration?, defaultQueue: (String) -> String
  ) throws -> Bool {
    let group = chord.body.groupID
    let stored = try perform("read chord parts") {
      try client.sendSync([
        "EVAL", ChordScripts.parts, 1, CeleryChord.key(group, ".j"), resultDatabase,
      ]).checked().array ?? []
    }
    let parts = stored.compactMap { $0.string.flatMap(CeleryChord.decodePart) }
    var resolution = ChordResolution(
      chord: chord.body, parts: parts, defaultQueue: defaultQueue)
    if parts.count != stored.count {
      resolution = ChordResolution(
        chord: ChordBody(
          groupID: group, signature: chord.body.signature, parentID: chord.body.parentID,
          rootID: chord.body.rootID),
        parts: [
          ChordPartOutcome(
            taskID: chord.body.parentID, state: .failure,
            failure: TaskFailure(
              type: "ValueError", message: "a part of chord \(group) is not readable"))
        ], defaultQueue: defaultQueue)
    }
    var arguments: [any RESPArgument] = [
      "EVAL", ChordScripts.finish, 8,
      CeleryChord.key(group, ".c"), CeleryChord.key(group, ".j"), CeleryChord.key(group, ".t"),
      CeleryChord.key(group, ".s"), CeleryChord.key(group, ".d"),
      CeleryChord.key(group, ".celeriac_body"), CeleryChord.completedKey,
      CeleryChord.groupKey(group),
      chord.token, CeleryChord.doneExpirySeconds, resultDatabase,
    ]
    func append(_ commands: [[any RESPArgument]], database: Int) {
      for command in commands {
        arguments.append(database)
        arguments.append(command.count)
        arguments.append(contentsOf: command)
      }
    }
    if !resolution.messages.isEmpty {
      // Always with kombu's binding sets: the script may run on a server that lost them.
      let (publishing, _) = try RedisPublishCommands.commands(
        resolution.messages, broker: self)
      append(publishing, database: url.database)
    }
    append(
      RedisResultBackend.storeCommands(resolution.records, expiresIn: expiresIn),
      database: resultDatabase)
    let reply = try perform("finish chord \(group)") {
      try client.sendSync(arguments).checked()
    }
    return reply.int == 1
  }

  /// Takes over chords claimed more than `age` ago and still not finished.
  public func takeOverAbandonedChords(olderThan age: Duration) throws -> [CompletedChord] {
    let now = Date().timeIntervalSince1970
    let token = UUID().lowercasedText
    let reply = try perform("take over abandoned chords") {
      try client.sendSync([
        "EVAL", ChordScripts.takeOver, 1, CeleryChord.completedKey, resultDatabase,
        now - age.seconds, token, now, Self.takeOverLimit,
      ]).checked()
    }
    return (reply.array ?? []).compactMap { value in
      value.string.flatMap(CeleryChord.decodeBody).map { CompletedChord(body: $0, token: token) }
    }
  }
}

extension RedisPublishCommands {
  /// The publish commands of `messages` through `broker`, binding sets included.
  static func commands(_ messages: [TaskMessage], broker: RedisBroker) throws -> (
    [[any RESPArgument]], Set<String>
  ) {
    let plan = try RedisPublishCommands(
      messages, origin: broker.producerOrigin, replyTo: broker.producerReplyTo, bound: [],
      maximumPayloadBytes: broker.maximumPayloadBytes)
    return (plan.commands, plan.newlyBound)
  }
}
