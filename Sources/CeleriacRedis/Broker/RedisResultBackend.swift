import CeleriacCore
import Foundation
import NIOCore

/// The Redis result backend in Celery's format: `celery-task-meta-<id>` holds the JSON Celery
/// writes (see ``CeleryResult``), set with `SETEX` and `PUBLISH`ed on the channel of the same
/// name, so that `AsyncResult.get()` in Python reads Celeriac's results and the other way
/// round. Revocations and idempotency keys are Celeriac's own keys in the same database.
public final class RedisResultBackend: GroupStoring {
  /// How long a revocation is remembered.
  public static let revocationLifetime: Duration = .seconds(7 * 86_400)

  /// The server and database of the results.
  public let url: RedisURL
  let client: RedisClient

  /// The URL without its password.
  public var redactedURL: String { url.redactedDescription }

  /// A backend on `url`; no connection is made until the first call.
  public init(url: RedisURL, options: RedisConnectionOptions = .celeriac) {
    self.url = url
    self.client = RedisClient(url: url, options: options)
  }

  /// A backend on a `redis://` or `rediss://` URL.
  ///
  /// - Throws: ``CeleriacError`` `.invalidURL` when the URL cannot be parsed.
  public convenience init(url: String) throws {
    do {
      self.init(url: try RedisURL(url))
    } catch let error as RedisError {
      throw CeleriacError(.invalidURL, error.message)
    }
  }

  deinit {
    if !client.eventLoop.inEventLoop { client.shutdownSync() }
  }

  /// The commands that store `records` as Celery does: `SETEX` (or `SET` without expiry),
  /// then `PUBLISH` of the same JSON.
  static func storeCommands(_ records: [TaskResultRecord], expiresIn: Duration?)
    -> [[any RESPArgument]]
  {
    let seconds = expiresIn.map { max(1, Int($0.seconds.rounded(.up))) }
    var commands: [[any RESPArgument]] = []
    commands.reserveCapacity(records.count * 2)
    for record in records {
      let key = CeleryResult.key(for: record.taskID)
      let json = CeleryResult.encode(record)
      if let seconds {
        commands.append(["SETEX", key, seconds, json])
      } else {
        commands.append(["SET", key, json])
      }
      commands.append(["PUBLISH", key, json])
    }
    return commands
  }

  /// Saves a group where Celery's `GroupResult.restore(id)` finds it: key
  /// `celery-taskset-meta-<id>` = `{"result": [[id, null], [[[member, null], null], …]]}`.
  public func saveGroup(_ groupID: String, members: [String], expiresIn: Duration?) throws {
    let tuple = StoredGroup.celeryTuple(groupID: groupID, members: members)
    let json = JSONWriter.string(.object(["result": tuple]))
    let key = CeleryChord.groupKey(groupID)
    let seconds = expiresIn.map { max(1, Int($0.seconds.rounded(.up))) }
    let command: [any RESPArgument] =
      seconds.map { ["SETEX", key, $0, json] } ?? ["SET", key, json]
    try perform("save group") { _ = try client.sendSync(command).checked() }
  }

  /// The members of a group saved by Celeriac or by Celery (`GroupResult.save()`).
  public func restoreGroup(_ groupID: String) throws -> [String]? {
    let reply = try perform("restore group") {
      try client.sendSync(["GET", CeleryChord.groupKey(groupID)]).checked()
    }
    guard let bytes = reply.bytes else { return nil }
    guard let stored = try? JSONValue(parsing: bytes.readableBytesView),
      let tuple = stored["result"], let members = StoredGroup.members(ofCeleryTuple: tuple)
    else {
      throw CeleriacError(
        .malformedMessage, "the group \(groupID.prefix(80)) stored in Redis is not a group result")
    }
    return members
  }

  /// Stores and publishes the records in one pipeline.
  public func store(_ records: [TaskResultRecord], expiresIn: Duration?) throws {
    guard !records.isEmpty else { return }
    let commands = Self.storeCommands(records, expiresIn: expiresIn)
    try perform("store results") { try RedisFailure.check(client.pipelineSync(commands)) }
  }

  /// The stored record, or `nil` when there is none (or it expired).
  public func result(for taskID: String) throws -> TaskResultRecord? {
    let reply = try perform("read result") {
      try client.sendSync(["GET", CeleryResult.key(for: taskID)])
    }
    guard let json = reply.string else { return nil }
    return try CeleryResult.decode(json, taskID: taskID)
  }

  /// Subscribes to the task's channel, then reads the key (so that a result stored between
  /// the two is not missed), then waits for published states until one is ready or `timeout`
  /// passes. If the subscription is lost, polls for the rest of the time.
  public func waitForResult(_ taskID: String, timeout: Duration) throws -> TaskResultRecord? {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    // Most tasks finish within a few milliseconds: a few quick GETs answer them sooner than
    // opening a subscription connection would; longer waits subscribe.
    let quickUntil = min(deadline, clock.now + Self.quickPollWindow)
    while clock.now < quickUntil {
      if let record = try result(for: taskID), record.state.isReady { return record }
      Thread.sleep(forTimeInterval: Self.quickPollInterval.seconds)
    }
    let subscription: RedisSubscription
    do {
      subscription = try client.subscribeSync(to: CeleryResult.key(for: taskID))
    } catch {
      return try pollForResult(taskID, timeout: max(deadline - clock.now, .zero))
    }
    defer { subscription.closeSync() }
    var last = try result(for: taskID)
    while !(last?.state.isReady ?? false) {
      let remaining = deadline - clock.now
      if remaining <= .zero { break }
      let payload: ByteBuffer?
      do {
        payload = try subscription.nextMessageSync(
          timeout: .nanoseconds(max(remaining.wholeNanoseconds, 1)))
      } catch {
        return try pollForResult(taskID, timeout: max(deadline - clock.now, .zero))
      }
      guard let payload else { break }
      if let record = try? CeleryResult.decode(String(buffer: payload), taskID: taskID) {
        last = record
      }
    }
    return last
  }

  /// How long ``waitForResult(_:timeout:)`` polls with GET before it subscribes.
  static let quickPollWindow: Duration = .milliseconds(3)
  /// The pause between those GETs.
  static let quickPollInterval: Duration = .microseconds(100)

  /// Redis expires results by itself (`SETEX`): nothing to delete.
  public func deleteExpired() throws -> Int { 0 }

  /// Records the tasks as revoked for ``revocationLifetime``.
  public func revoke(_ taskIDs: [String]) throws {
    guard !taskIDs.isEmpty else { return }
    let seconds = Int(Self.revocationLifetime.seconds)
    let commands: [[any RESPArgument]] = taskIDs.map {
      ["SET", RedisKeys.revoked($0), "1", "EX", seconds]
    }
    try perform("revoke") { try RedisFailure.check(client.pipelineSync(commands)) }
  }

  /// Which of `taskIDs` are revoked (one `MGET`).
  public func revoked(among taskIDs: [String]) throws -> Set<String> {
    guard !taskIDs.isEmpty else { return [] }
    let reply = try perform("read revocations") {
      try client.sendSync(["MGET"] + taskIDs.map(RedisKeys.revoked)).checked()
    }
    let values = reply.array ?? []
    return Set(zip(taskIDs, values).filter { !$0.1.isNull }.map(\.0))
  }

  /// `SET key taskID NX EX …`; when the key is held, returns the holder.
  public func reserveIdempotencyKey(_ key: String, for taskID: String, expiresIn: Duration)
    throws -> String?
  {
    let name = RedisKeys.idempotency(key)
    let seconds = max(1, Int(expiresIn.seconds.rounded(.up)))
    return try perform("reserve idempotency key") {
      for _ in 0..<3 {
        let set = try client.sendSync(["SET", name, taskID, "NX", "EX", seconds])
        if !set.isNull { return nil }
        // Held: by whom? (It may expire between the two commands; then try again.)
        if let holder = try client.sendSync(["GET", name]).string {
          return holder == taskID ? nil : holder
        }
      }
      throw CeleriacError(
        .backendUnavailable, "idempotency key \(key) keeps changing hands; try again")
    }
  }

  /// Deletes `key` if `taskID` holds it (compare and delete in one script).
  public func releaseIdempotencyKey(_ key: String, heldBy taskID: String) throws {
    let script =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
    _ = try perform("release idempotency key") {
      try client.sendSync(["EVAL", script, 1, RedisKeys.idempotency(key), taskID]).checked()
    }
  }

  /// Runs `body`, turning client errors into ``CeleriacError`` `.backendUnavailable`.
  func perform<T>(_ operation: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch {
      throw RedisFailure.wrap(
        error, .backendUnavailable, role: "result backend", url: url, operation: operation)
    }
  }

  /// Closes the connection and stops the client's event loop thread.
  public func close() {
    client.shutdownSync()
  }
}

extension RedisBroker: OutcomeCommitting {
  /// Whether `backend` is a Redis backend on the same server, with the same credentials, on
  /// ``resultDatabase`` (which may differ from the broker's: the commit selects it inside the
  /// transaction).
  public func sharesStorage(with backend: any ResultBackend) -> Bool {
    guard let backend = backend as? RedisResultBackend else { return false }
    let mine = url
    let theirs = backend.url
    return mine.host == theirs.host && mine.port == theirs.port
      && mine.username == theirs.username && mine.password == theirs.password
      && (mine.tls == nil) == (theirs.tls == nil) && theirs.database == resultDatabase
  }

  /// Stores and publishes `results` and `LREM`s the acknowledged deliveries in one
  /// `MULTI`/`EXEC`, sent as one pipeline: one round trip, all or nothing.
  public func commit(
    publishing messages: [TaskMessage], results: [TaskResultRecord], expiresIn: Duration?,
    acknowledging tags: [DeliveryTag]
  ) throws {
    _ = try transact(
      publishing: messages, results: results, expiresIn: expiresIn, acknowledging: tags)
  }
}
