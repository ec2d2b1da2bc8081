import CeleriacCore
import Foundation
import NIOCore
import Synchronization

/// The Redis broker: Celery protocol 2 messages on kombu's key layout, so that Celery
/// producers and workers share its queues.
///
/// - Queues are kombu's lists (`celery`, and `celery\x06\x163` … for priorities, read in
///   kombu's order). Producers `LPUSH`; a claim `LMOVE`s from the right (FIFO) into the
///   consumer's processing list `celeriac.processing.<consumer>` inside one Lua script, and
///   sets the consumer's liveness key `celeriac.consumer.<consumer>` to expire after its
///   lease. The message is never out of Redis: a crash at any point leaves it either in its
///   queue or in a processing list.
/// - ``recoverAbandoned()`` returns the processing lists of consumers whose liveness key has
///   expired to their queues, counting a redelivery (header `celeriac_redeliveries`).
/// - Messages with a future ETA wait in the sorted set `celeriac.delayed.<queue>` (score = ETA)
///   and move to the front of their queue inside the claim script once due. A message from a
///   Celery client with a future `eta` header is moved there when claimed, never held here.
/// - Bad messages (not JSON, not protocol 2, any content type but JSON) are moved to the list
///   `celeriac.dead_letter` during the claim and reported in the batch.
/// - Acknowledging `LREM`s the exact element claimed: the broker keeps a map from delivery tag
///   to the claimed string for as long as the delivery is held.
///
/// Every call is synchronous and throws ``CeleriacError`` `.brokerUnavailable` when Redis
/// cannot be reached; the client reconnects with backoff on later calls.
public final class RedisBroker: Broker {
  /// The server and database of the queues.
  public let url: RedisURL
  /// The database of the same server where ``commit(results:expiresIn:acknowledging:)``
  /// stores results (Celery's usual layout: broker on db 0, results on db 1).
  public let resultDatabase: Int
  let client: RedisClient
  let scripts: ScriptRunner
  private let state = Mutex(State())
  private let origin: String
  private let replyTo: String
  private let tagPrefix: String

  private struct InFlight {
    var raw: String
    var queue: String
    var consumer: String
    /// The list it was taken from when that is not the list its routing key names.
    var origin: String?

    /// Where a release puts it back.
    var home: String { origin ?? queue }
  }

  private struct State {
    var inFlight: [DeliveryTag: InFlight] = [:]
    var nextTag: UInt64 = 0
    var boundQueues: Set<String> = []
    /// Consumers whose processing list may hold messages this broker does not know about
    /// (a claim whose reply was lost); checked at their next claim or lease renewal.
    var unreconciled: Set<String> = []
    /// Until when each consumer's lease is known to hold without a gap: the send time of the
    /// last renewal or claim whose reply came back, plus the lease, provided the lease still
    /// held when it was sent. Past it, another supervisor may have taken the consumer's
    /// messages back, even if the liveness key exists again (a command delayed by the network
    /// and run late by Redis recreates it), so the next renewal checks the processing list.
    var confirmedUntil: [String: ContinuousClock.Instant] = [:]
  }

  /// Records that `consumer`'s lease was set at `sent` (a reply came back); the lease counts
  /// as continuous only if it had not lapsed by then.
  private func confirmLease(_ consumer: ConsumerIdentity, sentAt sent: ContinuousClock.Instant) {
    state.withLock { state in
      if let until = state.confirmedUntil[consumer.id], sent > until { return }
      state.confirmedUntil[consumer.id] = sent + consumer.lease
    }
  }

  /// The `origin` header of the messages this broker publishes.
  var producerOrigin: String { origin }
  /// The `reply_to` property of the messages this broker publishes.
  var producerReplyTo: String { replyTo }

  /// The URL without its password.
  public var redactedURL: String { url.redactedDescription }

  /// The largest encoded message ``publish(_:)`` accepts, in bytes.
  public let maximumPayloadBytes: Int

  /// A broker on `url`; no connection is made until the first call. Results committed with
  /// acknowledgements go to `resultDatabase` (by default the broker's own database).
  public init(
    url: RedisURL, resultDatabase: Int? = nil, options: RedisConnectionOptions = .celeriac,
    maximumPayloadBytes: Int = TaskMessageLimits.defaultMaximumPayloadBytes
  ) {
    self.maximumPayloadBytes = maximumPayloadBytes
    self.url = url
    self.resultDatabase = resultDatabase ?? url.database
    self.client = RedisClient(url: url, options: options)
    self.scripts = ScriptRunner(client: client)
    let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init)
    self.origin = "gen\(getpid())@\(host ?? "localhost")"
    self.replyTo = UUID().lowercasedText
    self.tagPrefix = String(UUID().lowercasedText.prefix(8)) + "."
  }

  /// A broker on a `redis://` or `rediss://` URL, committing results to `resultDatabase`.
  ///
  /// - Throws: ``CeleriacError`` `.invalidURL` when the URL cannot be parsed.
  public convenience init(url: String, resultDatabase: Int? = nil) throws {
    do {
      self.init(url: try RedisURL(url), resultDatabase: resultDatabase)
    } catch let error as RedisError {
      throw CeleriacError(.invalidURL, error.message)
    }
  }

  deinit {
    if !client.eventLoop.inEventLoop { client.shutdownSync() }
  }

  // MARK: - Publishing

  /// Pushes messages onto their queue lists (`LPUSH`, like kombu; a countdown or ETA rides in
  /// the `eta` header, as Celery sends it), in one pipeline; the first publish to a queue also
  /// writes kombu's binding sets, as a Celery producer does.
  public func publish(_ messages: [TaskMessage]) throws {
    guard !messages.isEmpty else { return }
    let (commands, unbound) = try publishCommands(messages)
    try perform("publish") { try RedisFailure.check(client.pipelineSync(commands)) }
    noteBound(unbound)
  }

  /// Records that kombu's binding sets of `queues` are written.
  func noteBound(_ queues: [String]) {
    if !queues.isEmpty {
      state.withLock { $0.boundQueues.formUnion(queues) }
    }
  }

  /// The commands that publish `messages` (validated and encoded), and the queues whose
  /// binding sets they write for the first time.
  func publishCommands(_ messages: [TaskMessage]) throws -> ([[any RESPArgument]], [String]) {
    let plan = try RedisPublishCommands(
      messages, origin: origin, replyTo: replyTo, bound: state.withLock { $0.boundQueues },
      maximumPayloadBytes: maximumPayloadBytes)
    return (plan.commands, Array(plan.newlyBound))
  }

  // MARK: - Claiming

  /// Claims up to `limit` messages from `queues` (earlier queues first) in one atomic script,
  /// after moving due delayed messages to the front of their queues. Claimed messages that are
  /// not runnable tasks go to dead-letter; those with a future `eta` (from a Celery client) go
  /// to the delayed set; both are made up for with another claim, a few rounds at most.
  public func claim(from queues: [String], limit: Int, consumer: ConsumerIdentity) throws
    -> ClaimBatch
  {
    guard limit > 0, !queues.isEmpty else { return ClaimBatch() }
    var seen: Set<String> = []
    let queues = queues.filter { seen.insert($0).inserted }
    try reconcileIfNeeded(consumer.id)
    let processing = RedisKeys.processing(consumer.id)
    let origins = RedisKeys.origins(consumer.id)
    var keys = [processing, RedisKeys.liveness(consumer.id), RedisKeys.consumers, origins]
    for queue in queues {
      let lists = CeleryProtocol.priorityQueues(of: queue)
      keys += [lists[0], RedisKeys.delayed(queue), lists[1], lists[2], lists[3]]
    }
    var batch = ClaimBatch()
    var revocations = ClaimedRevocations()
    for _ in 0..<4 {
      let wanted = limit - batch.deliveries.count
      let now = Date()
      let call = ScriptCall(
        script: BrokerScripts.claim, keys: keys,
        arguments: [
          now.timeIntervalSince1970, wanted, leaseMilliseconds(consumer), consumer.id,
          resultDatabase, url.database,
        ])
      let reply: RESPValue
      do {
        let sent = ContinuousClock.now
        reply = try scripts.run(call)
        confirmLease(consumer, sentAt: sent)
      } catch {
        // The script may have run and its reply been lost: check the list next time.
        _ = state.withLock { $0.unreconciled.insert(consumer.id) }
        throw RedisFailure.wrap(
          error, .brokerUnavailable, role: "broker", url: url, operation: "claim")
      }
      guard let elements = reply.array, elements.count % 5 == 0 else {
        _ = state.withLock { $0.unreconciled.insert(consumer.id) }
        throw CeleriacError(.protocolError, "Redis broker \(redactedURL): claim answered \(reply)")
      }
      if elements.isEmpty { break }
      var setAside: [ScriptCall] = []
      var entries: [DeadLetterEntry] = []
      var claimed: [(DeliveryTag, InFlight, CeleryDecodedMessage)] = []
      for index in stride(from: 0, to: elements.count, by: 5) {
        let queue = elements[index].string ?? queues[0]
        let raw = elements[index + 1].string ?? ""
        let origin = elements[index + 2].string.flatMap { $0.isEmpty ? nil : $0 }
        do {
          let decoded = try CeleryProtocol.decode(raw, queue: queue)
          revocations.note(
            decoded.message.id, lookedUp: elements[index + 3].string,
            revoked: elements[index + 4].int == 1)
          if let eta = decoded.message.eta, eta.timeIntervalSince(now) > 0.001 {
            setAside.append(
              ScriptCall(
                script: BrokerScripts.move,
                keys: [processing, RedisKeys.delayed(queue), origins],
                arguments: [raw, raw, "zadd", eta.timeIntervalSince1970]))
            continue
          }
          claimed.append(
            (
              nextTag(), InFlight(raw: raw, queue: queue, consumer: consumer.id, origin: origin),
              decoded
            ))
        } catch {
          let entry = DeadLetterEntry(
            taskID: error.taskID, queue: queue, reason: "malformed task message: \(error.reason)",
            payload: raw)
          entries.append(entry)
          setAside.append(
            ScriptCall(
              script: BrokerScripts.move, keys: [processing, RedisKeys.deadLetter, origins],
              arguments: [raw, Self.encodeDeadLetter(entry), "lpush", 0]))
        }
      }
      state.withLock { state in
        for (tag, inFlight, _) in claimed { state.inFlight[tag] = inFlight }
      }
      batch.deliveries += claimed.map {
        Delivery(tag: $0.0, message: $0.2.message, redeliveries: $0.2.redeliveries)
      }
      if !setAside.isEmpty {
        do {
          try RedisFailure.check(scripts.run(setAside))
        } catch {
          // They stay in the processing list: the reconciliation returns them to the queue.
          _ = state.withLock { $0.unreconciled.insert(consumer.id) }
          if batch.deliveries.isEmpty {
            throw RedisFailure.wrap(
              error, .brokerUnavailable, role: "broker", url: url, operation: "claim")
          }
          batch.revoked = revocations.revoked
          return batch
        }
        batch.deadLettered += entries
      }
      if setAside.isEmpty || batch.deliveries.count >= limit { break }
    }
    batch.revoked = revocations.revoked
    return batch
  }

  private func nextTag() -> DeliveryTag {
    state.withLock { state in
      state.nextTag += 1
      return DeliveryTag(rawValue: tagPrefix + String(state.nextTag))
    }
  }

  private func leaseMilliseconds(_ consumer: ConsumerIdentity) -> Int {
    max(1, Int((consumer.lease.seconds * 1_000).rounded(.up)))
  }

  /// Returns to their queues the messages in `consumer`'s processing list that this broker
  /// does not hold (claimed by a call whose reply was lost).
  private func reconcileIfNeeded(_ consumer: String) throws {
    guard state.withLock({ $0.unreconciled.contains(consumer) }) else { return }
    let processing = RedisKeys.processing(consumer)
    let listed = try perform("check claimed messages") {
      try client.sendSync(["LRANGE", processing, 0, -1]).checked().array ?? []
    }
    var held: [String: Int] = [:]
    state.withLock { state in
      for inFlight in state.inFlight.values where inFlight.consumer == consumer {
        held[inFlight.raw, default: 0] += 1
      }
    }
    let origins = try self.origins(of: consumer)
    var calls: [ScriptCall] = []
    for element in listed {
      guard let raw = element.string else { continue }
      if let count = held[raw], count > 0 {
        held[raw] = count - 1
        continue
      }
      calls.append(returnCall(raw, of: consumer, origin: origins[raw], redelivered: false))
    }
    try perform("return unknown claimed messages") { try RedisFailure.check(scripts.run(calls)) }
    _ = state.withLock { $0.unreconciled.remove(consumer) }
  }

  /// The lists `consumer`'s claimed messages came from, where that is not the list their
  /// routing key names (message → list).
  private func origins(of consumer: String) throws -> [String: String] {
    let reply = try perform("read claimed messages' origins") {
      try client.sendSync(["HGETALL", RedisKeys.origins(consumer)]).checked().array ?? []
    }
    var origins: [String: String] = [:]
    for index in stride(from: 0, to: reply.count - 1, by: 2) {
      if let raw = reply[index].string, let list = reply[index + 1].string { origins[raw] = list }
    }
    return origins
  }

  /// The script call that puts `raw`, claimed by `consumer`, back at the front of the list it
  /// was taken from (its `origin`, else the list its routing key names), or in dead-letter
  /// when it names no queue. With `unlessAlive`, the move happens only while the consumer's
  /// liveness key is still gone (recovery of another consumer's messages).
  private func returnCall(
    _ raw: String, of consumer: String, origin: String?, redelivered: Bool,
    unlessAlive: Bool = false
  ) -> ScriptCall {
    let processing = RedisKeys.processing(consumer)
    let origins = RedisKeys.origins(consumer)
    guard let queue = origin ?? CeleryProtocol.routingKey(of: raw) else {
      let entry = DeadLetterEntry(
        taskID: CeleryProtocol.taskID(of: raw), queue: "",
        reason: "malformed task message (found claimed, naming no queue)", payload: raw)
      return ScriptCall(
        script: BrokerScripts.move, keys: [processing, RedisKeys.deadLetter, origins],
        arguments: [raw, Self.encodeDeadLetter(entry), "lpush", 0])
    }
    let written = redelivered ? (CeleryProtocol.incrementingRedeliveries(raw) ?? raw) : raw
    if unlessAlive {
      return ScriptCall(
        script: BrokerScripts.recover,
        keys: [processing, RedisKeys.liveness(consumer), queue, origins],
        arguments: [raw, written])
    }
    return ScriptCall(
      script: BrokerScripts.move, keys: [processing, queue, origins],
      arguments: [raw, written, "rpush", 0])
  }

  // MARK: - Settling deliveries

  /// `LREM`s the claimed elements from their processing lists (unknown tags are ignored).
  public func acknowledge(_ tags: [DeliveryTag]) throws {
    let held = lookUp(tags)
    guard !held.isEmpty else { return }
    let commands = held.flatMap { Self.acknowledgeCommands($0.1) }
    try perform("acknowledge") { try RedisFailure.check(client.pipelineSync(commands)) }
    forget(held.map(\.0))
  }

  /// `LREM` of the claimed element, and `HDEL` of its origin when one was noted.
  private static func acknowledgeCommands(_ inFlight: InFlight) -> [[any RESPArgument]] {
    var commands: [[any RESPArgument]] = [
      ["LREM", RedisKeys.processing(inFlight.consumer), 1, inFlight.raw]
    ]
    if inFlight.origin != nil {
      commands.append(["HDEL", RedisKeys.origins(inFlight.consumer), inFlight.raw])
    }
    return commands
  }

  /// Puts the deliveries back at the front of their queues; with `countAsRedelivery`, their
  /// `celeriac_redeliveries` header goes up by one.
  public func release(_ tags: [DeliveryTag], countAsRedelivery: Bool) throws {
    let held = lookUp(tags)
    guard !held.isEmpty else { return }
    let calls = held.map { tag, inFlight in
      let written =
        countAsRedelivery
        ? (CeleryProtocol.incrementingRedeliveries(inFlight.raw) ?? inFlight.raw) : inFlight.raw
      return ScriptCall(
        script: BrokerScripts.move,
        keys: [
          RedisKeys.processing(inFlight.consumer), inFlight.home,
          RedisKeys.origins(inFlight.consumer),
        ],
        arguments: [inFlight.raw, written, "rpush", 0])
    }
    try perform("release") { try RedisFailure.check(scripts.run(calls)) }
    forget(held.map(\.0))
  }

  /// Moves a claimed delivery to `celeriac.dead_letter` (an unknown tag is ignored).
  public func deadLetter(_ tag: DeliveryTag, reason: String) throws {
    guard let (_, inFlight) = lookUp([tag]).first else { return }
    let entry = DeadLetterEntry(
      taskID: CeleryProtocol.taskID(of: inFlight.raw), queue: inFlight.queue, reason: reason,
      payload: inFlight.raw)
    let call = ScriptCall(
      script: BrokerScripts.move,
      keys: [
        RedisKeys.processing(inFlight.consumer), RedisKeys.deadLetter,
        RedisKeys.origins(inFlight.consumer),
      ],
      arguments: [inFlight.raw, Self.encodeDeadLetter(entry), "lpush", 0])
    try perform("dead-letter") { _ = try scripts.run(call) }
    forget([tag])
  }

  private func lookUp(_ tags: [DeliveryTag]) -> [(DeliveryTag, InFlight)] {
    state.withLock { state in tags.compactMap { tag in state.inFlight[tag].map { (tag, $0) } } }
  }

  /// The held deliveries among `tags`, each with the commands that acknowledge it.
  func heldDeliveries(_ tags: [DeliveryTag]) -> [(DeliveryTag, [[any RESPArgument]])] {
    lookUp(tags).map { ($0.0, Self.acknowledgeCommands($0.1)) }
  }

  /// Forgets settled deliveries.
  func forgetDeliveries(_ tags: [DeliveryTag]) {
    forget(tags)
  }

  private func forget(_ tags: [DeliveryTag]) {
    state.withLock { state in
      for tag in tags { state.inFlight[tag] = nil }
    }
  }

  // MARK: - Leases and recovery

  /// Sets `consumer`'s liveness key to expire after its lease (and lists the consumer).
  ///
  /// When the key had already expired (the supervisor stalled or was cut off for longer than
  /// its lease), another supervisor may have recovered its messages: the deliveries whose
  /// message is no longer in its processing list are returned and forgotten, so the caller
  /// does not start them, and acknowledging them could not touch another consumer's list.
  @discardableResult
  public func renewLease(for consumer: ConsumerIdentity) throws -> [DeliveryTag] {
    try reconcileIfNeeded(consumer.id)
    let commands: [[any RESPArgument]] = [
      [
        "SET", RedisKeys.liveness(consumer.id), consumer.id, "PX", leaseMilliseconds(consumer),
        "GET",
      ],
      ["SADD", RedisKeys.consumers, consumer.id],
    ]
    let sent = ContinuousClock.now
    let lapsed = state.withLock { state in
      state.confirmedUntil[consumer.id].map { sent > $0 } ?? false
    }
    let replies = try perform("renew lease") {
      let replies = try client.pipelineSync(commands)
      try RedisFailure.check(replies)
      return replies
    }
    guard lapsed || replies.first?.string == nil else {
      confirmLease(consumer, sentAt: sent)
      return []
    }
    let lost = try forgetLostDeliveries(of: consumer.id)
    state.withLock { $0.confirmedUntil[consumer.id] = sent + consumer.lease }
    return lost
  }

  /// The held deliveries of `consumer` whose message is gone from its processing list.
  private func forgetLostDeliveries(of consumer: String) throws -> [DeliveryTag] {
    let listed = try perform("check claimed messages") {
      try client.sendSync(["LRANGE", RedisKeys.processing(consumer), 0, -1]).checked().array ?? []
    }
    var present: [String: Int] = [:]
    for element in listed { if let raw = element.string { present[raw, default: 0] += 1 } }
    return state.withLock { state in
      var lost: [DeliveryTag] = []
      for (tag, inFlight) in state.inFlight where inFlight.consumer == consumer {
        if let count = present[inFlight.raw], count > 0 {
          present[inFlight.raw] = count - 1
        } else {
          lost.append(tag)
        }
      }
      for tag in lost { state.inFlight[tag] = nil }
      return lost
    }
  }

  /// Returns the processing lists of consumers whose liveness key has expired to their queues
  /// (each message at the front of its queue, its redelivery count up by one), then forgets
  /// those consumers. Safe to run from several supervisors at once: a message is moved only
  /// by the script that removed it.
  public func recoverAbandoned() throws -> Int {
    try perform("recover abandoned tasks") {
      let consumers = (try client.sendSync(["SMEMBERS", RedisKeys.consumers]).array ?? [])
        .compactMap(\.string)
      guard !consumers.isEmpty else { return 0 }
      let alive = try client.pipelineSync(consumers.map { ["EXISTS", RedisKeys.liveness($0)] })
      var recovered = 0
      for (consumer, exists) in zip(consumers, alive) where exists.int == 0 {
        let processing = RedisKeys.processing(consumer)
        let listed = (try client.sendSync(["LRANGE", processing, 0, -1]).array ?? [])
          .compactMap(\.string)
        // Newest first, so that the oldest ends up at the very front of its queue. Each move
        // checks again, atomically, that the consumer is still gone (it may have come back).
        let origins = try self.origins(of: consumer)
        let calls = listed.map {
          returnCall(
            $0, of: consumer, origin: origins[$0], redelivered: true, unlessAlive: true)
        }
        let replies = try scripts.run(calls)
        try RedisFailure.check(replies)
        recovered += replies.filter { $0.int == 1 }.count
        _ = try scripts.run(
          ScriptCall(
            script: BrokerScripts.forget,
            keys: [
              processing, RedisKeys.liveness(consumer), RedisKeys.consumers,
              RedisKeys.origins(consumer),
            ],
            arguments: [consumer]))
      }
      return recovered
    }
  }

  // MARK: - Inspection

  /// Messages waiting in each queue: its lists (every priority) plus its due delayed messages.
  public func depths(of queues: [String]) throws -> [String: Int] {
    var unique: [String] = []
    for queue in queues where !unique.contains(queue) { unique.append(queue) }
    guard !unique.isEmpty else { return [:] }
    let now = Date().timeIntervalSince1970
    var commands: [[any RESPArgument]] = []
    for queue in unique {
      for list in CeleryProtocol.priorityQueues(of: queue) { commands.append(["LLEN", list]) }
      commands.append(["ZCOUNT", RedisKeys.delayed(queue), "-inf", now])
    }
    let replies = try perform("read queue depths") {
      let replies = try client.pipelineSync(commands)
      try RedisFailure.check(replies)
      return replies
    }
    var depths: [String: Int] = [:]
    for (index, queue) in unique.enumerated() {
      depths[queue] = replies[(index * 5)..<(index * 5 + 5)].reduce(0) { $0 + ($1.int ?? 0) }
    }
    return depths
  }

  /// Deletes every waiting message of `queue`, due or not (claimed ones stay).
  public func purge(_ queue: String) throws -> Int {
    let lists = CeleryProtocol.priorityQueues(of: queue)
    let delayed = RedisKeys.delayed(queue)
    var commands: [[any RESPArgument]] = [["MULTI"]]
    for list in lists { commands.append(["LLEN", list]) }
    commands.append(["ZCARD", delayed])
    commands.append(["DEL"] + lists + [delayed])
    commands.append(["EXEC"])
    return try perform("purge \(queue)") {
      let replies = try client.pipelineSync(commands)
      try RedisFailure.check(replies)
      let counts = replies.last?.array ?? []
      return counts.prefix(5).reduce(0) { $0 + ($1.int ?? 0) }
    }
  }

  /// Deletes dead letters older than `age` (from the oldest end of the list, whose entries
  /// carry their `created` time), then all but the newest `limit`. Entries pushed meanwhile go
  /// to the other end, so trimming by index from the tail never touches them.
  public func trimDeadLetters(keeping limit: Int, olderThan age: Duration) throws -> Int {
    let key = RedisKeys.deadLetter
    return try perform("trim dead letters") {
      let length = try client.sendSync(["LLEN", key]).checked().int ?? 0
      var remove = max(0, length - max(limit, 0))
      let cutoff = Date().timeIntervalSince1970 - age.seconds
      let sample = min(length - remove, 1_000)
      if sample > 0 {
        // The oldest `sample` entries that the count limit keeps, oldest last.
        let stop = -(remove + 1)
        let entries =
          try client.sendSync(["LRANGE", key, stop - sample + 1, stop]).checked().array ?? []
        for entry in entries.reversed() {
          guard let created = entry.string.flatMap(Self.deadLetterCreated), created < cutoff
          else { break }
          remove += 1
        }
      }
      guard remove > 0 else { return 0 }
      _ = try client.sendSync(["LTRIM", key, 0, -(remove + 1)]).checked()
      return remove
    }
  }

  /// The `created` time of a stored dead letter, if it has one.
  static func deadLetterCreated(_ json: String) -> Double? {
    guard let object = try? JSONCoding.decode([String: JSONValue].self, from: json) else {
      return nil
    }
    return object["created"]?.doubleValue
  }

  /// The newest `limit` entries of `celeriac.dead_letter`.
  public func deadLetters(limit: Int) throws -> [DeadLetterEntry] {
    guard limit > 0 else { return [] }
    let reply = try perform("read dead letters") {
      try client.sendSync(["LRANGE", RedisKeys.deadLetter, 0, limit - 1])
    }
    return (reply.array ?? []).compactMap { $0.string.flatMap(Self.decodeStoredDeadLetter) }
  }

  /// Stores the status under `celeriac.worker.<hostname>` with a TTL, and lists the hostname.
  public func publishWorkerStatus(_ status: WorkerStatus, expiresIn: Duration) throws {
    let json = try JSONCoding.encodeString(status)
    let milliseconds = max(1, Int((expiresIn.seconds * 1_000).rounded(.up)))
    let commands: [[any RESPArgument]] = [
      ["SET", RedisKeys.workerStatus(status.hostname), json, "PX", milliseconds],
      ["SADD", RedisKeys.workers, status.hostname],
    ]
    try perform("publish worker status") { try RedisFailure.check(client.pipelineSync(commands)) }
  }

  /// The statuses that have not expired, by hostname (expired hostnames are unlisted).
  public func workerStatuses() throws -> [WorkerStatus] {
    try perform("read worker statuses") {
      let hostnames = (try client.sendSync(["SMEMBERS", RedisKeys.workers]).array ?? [])
        .compactMap(\.string).sorted()
      guard !hostnames.isEmpty else { return [] }
      let values =
        try client.sendSync(["MGET"] + hostnames.map(RedisKeys.workerStatus)).array ?? []
      var statuses: [WorkerStatus] = []
      var gone: [String] = []
      for (hostname, value) in zip(hostnames, values) {
        guard let json = value.string else {
          gone.append(hostname)
          continue
        }
        if let status = try? JSONCoding.decode(WorkerStatus.self, from: json) {
          statuses.append(status)
        }
      }
      if !gone.isEmpty { _ = try client.sendSync(["SREM", RedisKeys.workers] + gone) }
      return statuses
    }
  }

  // MARK: - Helpers

  /// Runs `body`, turning client errors into ``CeleriacError`` `.brokerUnavailable`.
  func perform<T>(_ operation: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch {
      throw RedisFailure.wrap(
        error, .brokerUnavailable, role: "broker", url: url, operation: operation)
    }
  }

  /// The dead-letter entry as stored: `{"task_id", "queue", "reason", "payload"}`.
  static func encodeDeadLetter(_ entry: DeadLetterEntry) -> String {
    var writer = JSONWriter(capacity: entry.payload.utf8.count + 128)
    writer.writeObject([
      ("task_id", entry.taskID.map(JSONValue.string) ?? .null),
      ("queue", .string(entry.queue)),
      ("reason", .string(entry.reason)),
      ("payload", .string(entry.payload)),
      ("created", .double(Date().timeIntervalSince1970)),
    ])
    return writer.text
  }

  static func decodeDeadLetter(_ json: String) -> DeadLetterEntry? {
    guard case .object(let object)? = try? JSONValue(parsing: json) else { return nil }
    return DeadLetterEntry(
      taskID: object["task_id"]?.stringValue, queue: object["queue"]?.stringValue ?? "",
      reason: object["reason"]?.stringValue ?? "", payload: object["payload"]?.stringValue ?? "",
      created: object["created"]?.doubleValue)
  }

  /// Closes the connection and stops the client's event loop thread.
  public func close() {
    client.shutdownSync()
  }
}
