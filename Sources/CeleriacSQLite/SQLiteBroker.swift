import CeleriacCore
import Foundation
import GRDB
import Synchronization

/// The embedded broker: task messages in the `tasks` table of a ``SQLiteStore`` file.
///
/// Every method is one transaction. Claiming takes due rows with one
/// `UPDATE … WHERE id IN (SELECT … LIMIT ?) RETURNING …` per queue and priority that has due
/// rows, inside a single write transaction, so no row is ever handed to two consumers, in this
/// process or another. A claimed row carries its consumer and a lease; ``recoverAbandoned()``
/// returns rows whose lease ran out. Delivery tags are the rows' ids, never reused. A broker
/// that claims (a worker's) checkpoints the log on a thread of its own
/// (``SQLiteCheckpointer``), so that its commits never do.
public final class SQLiteBroker: Broker {
  /// The shared file.
  public let store: SQLiteStore

  /// The file's location as a `sqlite://` URL.
  public var redactedURL: String { store.redactedURL }

  /// Whether the last claim got all it asked for: then the queue probably has more, and the
  /// lock-free look before claiming would only cost time.
  private let lastClaimWasFull = Mutex(false)

  /// The consumer each delivery handed out by this broker was claimed for. Settling a
  /// delivery changes its row only while the row is still claimed by that consumer, so a
  /// supervisor whose lease ran out (and whose rows another supervisor recovered or claimed)
  /// can no longer acknowledge, release or dead-letter them: fencing.
  private let claimedBy = Mutex<[Int64: String]>([:])

  /// The background checkpoints of a consumer's broker, started by the first claim.
  private let checkpointer = Mutex<SQLiteCheckpointer??>(nil)

  /// The largest encoded message ``publish(_:)`` accepts, in bytes.
  public let maximumPayloadBytes: Int

  /// A broker on an open store (which a ``SQLiteResultBackend`` may share).
  public init(
    store: SQLiteStore, maximumPayloadBytes: Int = TaskMessageLimits.defaultMaximumPayloadBytes
  ) {
    self.store = store
    self.maximumPayloadBytes = maximumPayloadBytes
  }

  deinit {
    checkpointer.withLock { $0??.stop() }
  }

  /// Opens (creating if needed) the SQLite file at `path`.
  ///
  /// - Throws: ``CeleriacError`` `.brokerUnavailable` naming the path and the reason.
  public convenience init(path: String) throws {
    self.init(store: try SQLiteStore(path: path))
  }

  /// Opens the file named by a `sqlite:///abs/path.db` or `sqlite://relative.db` URL.
  ///
  /// - Throws: ``CeleriacError`` `.invalidURL` or `.brokerUnavailable`.
  public convenience init(url: String) throws {
    self.init(store: try SQLiteStore(url: url))
  }

  /// Stores the messages in one transaction. A message's ETA (or, without one, the time of
  /// publishing) becomes the row's due time.
  public func publish(_ messages: [TaskMessage]) throws {
    guard !messages.isEmpty else { return }
    let now = unixNow()
    // Encode before taking the write lock: other processes wait only for the inserts.
    let rows = try encodeRows(messages, now: now)
    try store.write("publish", unavailable: .brokerUnavailable) { db in
      try Self.insert(rows, now: now, in: db)
    }
  }

  typealias EncodedRow = (
    id: String, queue: String, payload: String, eta: Double, priority: Int
  )

  /// Validates and encodes messages as rows of `tasks`.
  func encodeRows(_ messages: [TaskMessage], now: Double) throws -> [EncodedRow] {
    var rows: [EncodedRow] = []
    rows.reserveCapacity(messages.count)
    for message in messages {
      try message.validate()
      // The shape `Codable` writes, without `JSONEncoder` (see `TaskMessage.jsonText`).
      let payload = message.jsonText
      try PayloadLimit.check(payload, of: message, maximum: maximumPayloadBytes)
      rows.append(
        (
          message.id, message.queue, payload, message.eta?.timeIntervalSince1970 ?? now,
          message.priority ?? TaskPriority.defaultValue
        ))
    }
    return rows
  }

  static func insert(_ rows: [EncodedRow], now: Double, in db: Database) throws {
    guard !rows.isEmpty else { return }
    let insert = try db.cachedStatement(sql: Self.insertSQL)
    for row in rows {
      insert.setUncheckedArguments([row.id, row.queue, row.payload, row.eta, now, row.priority])
      try insert.execute()
    }
  }

  /// The priorities at which each of `queues` has due tasks, lowest first (queues with none
  /// left out): one index seek per queue and priority, and no write. Read on a WAL snapshot,
  /// which takes no lock, it keeps polling an empty queue from opening a write transaction;
  /// inside the claim's transaction it keeps the claim from running its `UPDATE … RETURNING`
  /// (which builds a temporary table each time) at the nine priorities that have no rows.
  private static func duePriorities(in queues: [String], now: Double, db: Database) throws
    -> [String: [Int]]
  {
    let probe = try db.cachedStatement(sql: Self.duePrioritiesSQL)
    var due: [String: [Int]] = [:]
    for queue in queues {
      let priorities = try Int.fetchAll(probe, arguments: [queue, now])
      if !priorities.isEmpty { due[queue] = priorities }
    }
    return due
  }

  /// Claims up to `limit` due rows, earlier queues first, each queue by priority (lower
  /// first), due time, then id.
  /// Rows whose payload is not a task message go to dead-letter in the same transaction.
  public func claim(from queues: [String], limit: Int, consumer: ConsumerIdentity) throws
    -> ClaimBatch
  {
    guard limit > 0, !queues.isEmpty else { return ClaimBatch() }
    checkpointer.withLock { started in
      if started == nil { started = .some(SQLiteCheckpointer(path: store.path)) }
    }
    var seen: Set<String> = []
    let queues = queues.filter { seen.insert($0).inserted }
    var looked: [String: [Int]]?
    if !lastClaimWasFull.withLock({ $0 }) {
      let due = try store.read("look for due tasks", unavailable: .brokerUnavailable) { db in
        try Self.duePriorities(in: queues, now: unixNow(), db: db)
      }
      if due.isEmpty { return ClaimBatch() }
      looked = due
    }
    let batch = try store.write("claim", unavailable: .brokerUnavailable) { db in
      let now = unixNow()
      let leaseExpires = now + consumer.lease.seconds
      // Rows that fell due since the look are claimed next time (their commit wakes us).
      let due = try looked ?? Self.duePriorities(in: queues, now: now, db: db)
      let take = try db.cachedStatement(sql: Self.claimSQL)
      var batch = ClaimBatch()
      for queue in queues {
        for priority in due[queue] ?? [] where batch.deliveries.count < limit {
          try claimRows(
            of: queue, priority: priority, using: take, into: &batch, limit: limit,
            consumer: consumer, leaseExpires: leaseExpires, now: now, in: db)
        }
        if batch.deliveries.count >= limit { break }
      }
      // The revocations of a result backend on this file, in the same snapshot (see
      // `ClaimBatch.revoked`); a backend elsewhere is asked by the caller.
      batch.revoked = try SQLiteResultBackend.revoked(
        among: batch.deliveries.map(\.message.id), in: db)
      return batch
    }
    lastClaimWasFull.withLock { $0 = batch.deliveries.count >= limit }
    return batch
  }

  /// Claims due rows of one queue and priority into `batch`, up to `limit` in all, going round
  /// again only to make up for rows that went to dead-letter.
  private func claimRows(
    of queue: String, priority: Int, using take: Statement, into batch: inout ClaimBatch,
    limit: Int, consumer: ConsumerIdentity, leaseExpires: Double, now: Double, in db: Database
  ) throws {
    while batch.deliveries.count < limit {
      let wanted = limit - batch.deliveries.count
      let rows = try Row.fetchAll(
        take, arguments: [consumer.id, leaseExpires, queue, priority, now, wanted])
      if rows.isEmpty { break }
      let claimed = rows.map(ClaimedRow.init).sorted {
        ($0.priority, $0.eta, $0.id) < ($1.priority, $1.eta, $1.id)
      }
      claimedBy.withLock { held in
        for row in claimed { held[row.id] = consumer.id }
      }
      var malformed = 0
      for row in claimed {
        do {
          // The pull reader's fast path for the shape Celeriac writes, Codable for the rest.
          let message =
            try TaskMessage(readingJSON: row.payload)
            ?? JSONCoding.decode(TaskMessage.self, from: row.payload)
          try message.validate()
          batch.deliveries.append(
            Delivery(
              tag: DeliveryTag(rawValue: String(row.id)), message: message,
              redeliveries: row.redeliveries, messageJSON: row.payload))
        } catch {
          malformed += 1
          let reason = "malformed task message: \(Self.describe(error))"
          try Self.moveToDeadLetter(
            db, id: row.id, consumer: consumer.id, reason: reason, now: now)
          _ = claimedBy.withLock { $0.removeValue(forKey: row.id) }
          batch.deadLettered.append(
            DeadLetterEntry(
              taskID: row.taskID, queue: row.queue, reason: reason, payload: row.payload))
        }
      }
      // Only go round again to make up for rows that went to dead-letter.
      if malformed == 0 { break }
    }
  }

  /// Deletes the rows of the given deliveries that are still claimed by the consumer they
  /// were claimed for (unknown tags are ignored).
  public func acknowledge(_ tags: [DeliveryTag]) throws {
    let held = try self.held(tags)
    guard !held.isEmpty else { return }
    try store.write("acknowledge", unavailable: .brokerUnavailable) { db in
      try Self.delete(held, in: db)
    }
    forget(held)
  }

  typealias HeldRow = (id: Int64, consumer: String)

  /// The rows of `tags` this broker handed out, with their consumer.
  func held(_ tags: [DeliveryTag]) throws -> [HeldRow] {
    let ids = try Self.rowIDs(tags)
    return claimedBy.withLock { held in ids.compactMap { id in held[id].map { (id, $0) } } }
  }

  func forget(_ rows: [HeldRow]) {
    claimedBy.withLock { held in
      for row in rows { held[row.id] = nil }
    }
  }

  static func delete(_ rows: [HeldRow], in db: Database) throws {
    let delete = try db.cachedStatement(
      sql: "DELETE FROM tasks WHERE id = ? AND state = 'claimed' AND consumer = ?")
    for row in rows {
      delete.setUncheckedArguments([row.id, row.consumer])
      try delete.execute()
    }
  }

  /// Puts claimed rows back in their queue at their old place (they keep their due time and
  /// id), claimable at once; with `countAsRedelivery`, their redelivery counter goes up.
  public func release(_ tags: [DeliveryTag], countAsRedelivery: Bool) throws {
    let held = try self.held(tags)
    guard !held.isEmpty else { return }
    try store.write("release", unavailable: .brokerUnavailable) { db in
      let update = try db.cachedStatement(
        sql: """
          UPDATE tasks SET state = 'queued', consumer = NULL, lease_expires = NULL,
            redeliveries = redeliveries + ?
          WHERE id = ? AND state = 'claimed' AND consumer = ?
          """)
      for row in held {
        update.setUncheckedArguments([countAsRedelivery ? 1 : 0, row.id, row.consumer])
        try update.execute()
      }
    }
    forget(held)
  }

  /// Moves a row to `dead_letters` with `reason` (an unknown tag is ignored).
  public func deadLetter(_ tag: DeliveryTag, reason: String) throws {
    guard let row = try held([tag]).first else { return }
    try store.write("dead-letter", unavailable: .brokerUnavailable) { db in
      try Self.moveToDeadLetter(
        db, id: row.id, consumer: row.consumer, reason: reason, now: unixNow())
    }
    forget([row])
  }

  /// Moves the lease of every row `consumer` holds to now plus its lease, and returns the
  /// deliveries handed out for `consumer` whose rows it no longer holds (its lease ran out and
  /// another supervisor recovered them): the caller must not start those.
  @discardableResult
  public func renewLease(for consumer: ConsumerIdentity) throws -> [DeliveryTag] {
    let stillHeld = try store.write("renew lease", unavailable: .brokerUnavailable) { db in
      let update = try db.cachedStatement(sql: Self.renewSQL)
      update.setUncheckedArguments([unixNow() + consumer.lease.seconds, consumer.id])
      try update.execute()
      return Set(
        try Int64.fetchAll(db.cachedStatement(sql: Self.heldSQL), arguments: [consumer.id]))
    }
    let lost = claimedBy.withLock { held in
      let lost = held.filter { $0.value == consumer.id && !stillHeld.contains($0.key) }.map(\.key)
      for id in lost { held[id] = nil }
      return lost
    }
    return lost.sorted().map { DeliveryTag(rawValue: String($0)) }
  }

  /// Deletes dead letters older than `age`, then all but the newest `limit`.
  public func trimDeadLetters(keeping limit: Int, olderThan age: Duration) throws -> Int {
    try store.write("trim dead letters", unavailable: .brokerUnavailable) { db in
      try db.execute(
        sql: "DELETE FROM dead_letters WHERE created < ?", arguments: [unixNow() - age.seconds])
      var deleted = db.changesCount
      try db.execute(
        sql: """
          DELETE FROM dead_letters WHERE id <= (
            SELECT id FROM dead_letters ORDER BY id DESC LIMIT 1 OFFSET ?)
          """, arguments: [max(limit, 0)])
      deleted += db.changesCount
      return deleted
    }
  }

  /// Returns claimed rows whose lease ran out to their queues, counting a redelivery each.
  public func recoverAbandoned() throws -> Int {
    try store.write("recover abandoned tasks", unavailable: .brokerUnavailable) { db in
      let update = try db.cachedStatement(sql: Self.recoverSQL)
      update.setUncheckedArguments([unixNow()])
      try update.execute()
      return db.changesCount
    }
  }

  /// The number of queued, due rows in each of `queues` (0 for an empty or unknown queue).
  public func depths(of queues: [String]) throws -> [String: Int] {
    guard !queues.isEmpty else { return [:] }
    return try store.read("depths", unavailable: .brokerUnavailable) { db in
      let count = try db.cachedStatement(sql: Self.depthSQL)
      let now = unixNow()
      var depths: [String: Int] = [:]
      for queue in queues where depths[queue] == nil {
        depths[queue] = try Int.fetchOne(count, arguments: [queue, now]) ?? 0
      }
      return depths
    }
  }

  /// Deletes every queued row of `queue`, due or not (claimed rows stay); returns how many.
  public func purge(_ queue: String) throws -> Int {
    try store.write("purge", unavailable: .brokerUnavailable) { db in
      let delete = try db.cachedStatement(
        sql: "DELETE FROM tasks WHERE state = 'queued' AND queue = ?")
      delete.setUncheckedArguments([queue])
      try delete.execute()
      return db.changesCount
    }
  }

  /// Stores `status` under its hostname until `expiresIn` from now.
  public func publishWorkerStatus(_ status: WorkerStatus, expiresIn: Duration) throws {
    let json = try JSONCoding.encodeString(status)
    try store.write("publish worker status", unavailable: .brokerUnavailable) { db in
      let now = unixNow()
      try db.cachedStatement(sql: "DELETE FROM workers WHERE expires < ?").execute(arguments: [now])
      try db.cachedStatement(
        sql: "INSERT OR REPLACE INTO workers (hostname, status, expires) VALUES (?, ?, ?)"
      ).execute(arguments: [status.hostname, json, now + expiresIn.seconds])
    }
  }

  /// The statuses that have not expired, by hostname.
  public func workerStatuses() throws -> [WorkerStatus] {
    let rows = try store.read("read worker statuses", unavailable: .brokerUnavailable) { db in
      try String.fetchAll(
        db, sql: "SELECT status FROM workers WHERE expires >= ? ORDER BY hostname",
        arguments: [unixNow()])
    }
    return rows.compactMap { try? JSONCoding.decode(WorkerStatus.self, from: $0) }
  }

  /// The newest `limit` dead-letter entries, newest first.
  public func deadLetters(limit: Int) throws -> [DeadLetterEntry] {
    guard limit > 0 else { return [] }
    return try store.read("read dead letters", unavailable: .brokerUnavailable) { db in
      let select = try db.cachedStatement(
        sql: "SELECT \(Self.deadLetterColumns) FROM dead_letters ORDER BY id DESC LIMIT ?")
      return try Row.fetchAll(select, arguments: [limit]).map(Self.deadLetterEntry)
    }
  }

  /// The columns ``deadLetterEntry(_:)`` reads.
  static let deadLetterColumns = "task_id, queue, reason, payload, id, created"

  /// A `dead_letters` row selected with ``deadLetterColumns``.
  static func deadLetterEntry(_ row: Row) -> DeadLetterEntry {
    let id: Int64 = row[4]
    return DeadLetterEntry(
      taskID: row[0], queue: row[1], reason: row[2], payload: row[3], id: String(id),
      created: row[5])
  }

  // MARK: - Statements and helpers

  static let insertSQL = """
    INSERT INTO tasks (task_id, queue, payload, eta, state, redeliveries, created, priority)
    VALUES (?, ?, ?, ?, 'queued', 0, ?, ?)
    """

  static let claimSQL = """
    UPDATE tasks SET state = 'claimed', consumer = ?, lease_expires = ?
    WHERE id IN (
      SELECT id FROM tasks INDEXED BY tasks_priority
      WHERE state = 'queued' AND queue = ? AND priority = ? AND eta <= ?
      ORDER BY eta, id LIMIT ?)
    RETURNING id, task_id, queue, payload, eta, redeliveries, priority
    """

  // The claimed rows are few (those in flight): one small partial index serves both.
  static let renewSQL = """
    UPDATE tasks INDEXED BY tasks_claimed SET lease_expires = ?
    WHERE state = 'claimed' AND consumer = ?
    """

  static let heldSQL = """
    SELECT id FROM tasks INDEXED BY tasks_claimed WHERE state = 'claimed' AND consumer = ?
    """

  static let recoverSQL = """
    UPDATE tasks SET state = 'queued', consumer = NULL, lease_expires = NULL,
      redeliveries = redeliveries + 1
    WHERE state = 'claimed' AND lease_expires < ?
    """

  /// The priorities of ``TaskPriority/range`` at which a queue (`?` 1) has rows due by a time
  /// (`?` 2), lowest first.
  static let duePrioritiesSQL = """
    SELECT p.column1 FROM (VALUES \(TaskPriority.range.map { "(\($0))" }.joined(separator: ", "))) AS p
    WHERE EXISTS (
      SELECT 1 FROM tasks INDEXED BY tasks_priority
      WHERE state = 'queued' AND queue = ?1 AND priority = p.column1 AND eta <= ?2)
    ORDER BY p.column1
    """

  static let depthSQL = """
    SELECT COUNT(*) FROM tasks WHERE state = 'queued' AND queue = ? AND eta <= ?
    """

  private struct ClaimedRow {
    var id: Int64
    var taskID: String?
    var queue: String
    var payload: String
    var eta: Double
    var redeliveries: Int
    var priority: Int

    init(_ row: Row) {
      id = row[0]
      taskID = row[1]
      queue = row[2]
      payload = row[3]
      eta = row[4]
      redeliveries = row[5]
      priority = row[6]
    }
  }

  private static func moveToDeadLetter(
    _ db: Database, id: Int64, consumer: String, reason: String, now: Double
  ) throws {
    let copy = try db.cachedStatement(
      sql: """
        INSERT INTO dead_letters (task_id, queue, reason, payload, created)
        SELECT task_id, queue, ?, payload, ? FROM tasks
        WHERE id = ? AND state = 'claimed' AND consumer = ?
        """)
    copy.setUncheckedArguments([reason, now, id, consumer])
    try copy.execute()
    try delete([(id, consumer)], in: db)
  }

  private static func rowIDs(_ tags: [DeliveryTag]) throws -> [Int64] {
    try tags.map { tag in
      guard let id = Int64(tag.rawValue) else {
        throw CeleriacError(
          .invalidArguments, "not a SQLite broker delivery tag: \(tag.rawValue)")
      }
      return id
    }
  }

  /// One line for a decoding error: which key or value was wrong.
  private static func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return oneLine("\(error)") }
    func path(_ context: DecodingError.Context) -> String {
      let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
      return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
    }
    switch error {
    case .keyNotFound(let key, let context):
      return "missing key \(key.stringValue)\(path(context))"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      return "\(context.debugDescription)\(path(context))"
    case .dataCorrupted(let context):
      let underlying = context.underlyingError.map { " (\($0))" } ?? ""
      return oneLine("\(context.debugDescription)\(path(context))\(underlying)")
    @unknown default:
      return oneLine("\(error)")
    }
  }

  private static func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).joined(separator: " ")
  }
}

extension SQLiteBroker: OutcomeCommitting {
  /// Whether `backend` is a SQLite backend on the same file.
  public func sharesStorage(with backend: any ResultBackend) -> Bool {
    (backend as? SQLiteResultBackend)?.store.path == store.path
  }

  /// Stores results and deletes the acknowledged rows in one write transaction.
  public func commit(
    publishing messages: [TaskMessage], results: [TaskResultRecord], expiresIn: Duration?,
    acknowledging tags: [DeliveryTag]
  ) throws {
    let now = unixNow()
    let rows = try encodeRows(messages, now: now)
    let encoded = SQLiteResultBackend.encode(results)
    let held = try self.held(tags)
    try store.write("store results and acknowledge", unavailable: .brokerUnavailable) { db in
      try Self.insert(rows, now: now, in: db)
      try SQLiteResultBackend.upsert(encoded, expiresIn: expiresIn, in: db)
      try Self.delete(held, in: db)
    }
    forget(held)
  }
}

extension SQLiteBroker: ChangeNotifying {
  /// Readable whenever any process commits to the file (inotify on its write-ahead log),
  /// whichever queue the change concerns.
  public func openChangeSignal(watching queues: [String]) -> (any ChangeSignal)? {
    SQLiteChangeSignal(databasePath: store.path)
  }
}
