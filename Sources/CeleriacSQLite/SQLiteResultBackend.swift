import CeleriacCore
import Foundation
import GRDB

#if canImport(Glibc)
  import Glibc
#endif

/// The embedded result backend: task records, revocations and idempotency keys in a
/// ``SQLiteStore`` file (usually the broker's).
public final class SQLiteResultBackend: GroupStoring {
  /// How long a revocation is remembered: a task still queued after that would run after all.
  public static let revocationLifetime: Duration = .seconds(7 * 86_400)

  /// The shared file.
  public let store: SQLiteStore

  /// The file's location as a `sqlite://` URL.
  public var redactedURL: String { store.redactedURL }

  /// A backend on an open store (which a ``SQLiteBroker`` may share).
  public init(store: SQLiteStore) {
    self.store = store
  }

  /// Opens (creating if needed) the SQLite file at `path`.
  ///
  /// - Throws: ``CeleriacError`` `.backendUnavailable` naming the path and the reason.
  public convenience init(path: String) throws {
    self.init(
      store: try SQLiteStore(
        path: path, busyTimeout: SQLiteStore.defaultBusyTimeout,
        unavailable: .backendUnavailable))
  }

  /// Opens the file named by a `sqlite:///abs/path.db` or `sqlite://relative.db` URL.
  ///
  /// - Throws: ``CeleriacError`` `.invalidURL` or `.backendUnavailable`.
  public convenience init(url: String) throws {
    try self.init(path: try SQLiteStore.path(fromURL: url))
  }

  /// Inserts or replaces the records in one transaction.
  public func store(_ records: [TaskResultRecord], expiresIn: Duration?) throws {
    guard !records.isEmpty else { return }
    let encoded = Self.encode(records)
    try store.write("store results", unavailable: .backendUnavailable) { db in
      try Self.upsert(encoded, expiresIn: expiresIn, in: db)
    }
  }

  /// Each record with its JSON, encoded before any lock is taken.
  static func encode(_ records: [TaskResultRecord]) -> [(TaskResultRecord, String)] {
    records.map { ($0, $0.jsonText) }
  }

  /// Inserts or replaces encoded records inside the caller's write transaction.
  static func upsert(
    _ encoded: [(TaskResultRecord, String)], expiresIn: Duration?, in db: Database
  ) throws {
    let expires = expiresIn.map { unixNow() + $0.seconds }
    let upsert = try db.cachedStatement(
      sql: """
        INSERT INTO results (task_id, state, record, expires, done, name, queue)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (task_id) DO UPDATE
        SET state = excluded.state, record = excluded.record, expires = excluded.expires,
          done = excluded.done, name = excluded.name, queue = excluded.queue
        """)
    for (record, json) in encoded {
      upsert.setUncheckedArguments([
        record.taskID, record.state.rawValue, json, expires,
        record.dateDone.timeIntervalSince1970, record.name, record.queue,
      ])
      try upsert.execute()
    }
  }

  /// The record for `taskID`, or `nil` when there is none or it has expired.
  public func result(for taskID: String) throws -> TaskResultRecord? {
    let json = try store.read("read result", unavailable: .backendUnavailable) { db in
      let select = try db.cachedStatement(
        sql: """
          SELECT record FROM results
          WHERE task_id = ? AND (expires IS NULL OR expires > ?)
          """)
      return try String.fetchOne(select, arguments: [taskID, unixNow()])
    }
    guard let json else { return nil }
    do {
      return try TaskResultRecord.decode(stored: json)
    } catch {
      throw CeleriacError(
        .malformedMessage, "stored result of task \(taskID) is not a valid record: \(error)")
    }
  }

  /// Polls ``result(for:)`` until the task is ready or `timeout` passes.
  public func waitForResult(_ taskID: String, timeout: Duration) throws -> TaskResultRecord? {
    guard let signal = SQLiteChangeSignal(databasePath: store.path) else {
      return try pollForResult(taskID, timeout: timeout)
    }
    defer { signal.close() }
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
      // The watch exists before this read, so a result stored after it wakes the poll below.
      let record = try result(for: taskID)
      if let record, record.state.isReady { return record }
      let remaining = deadline - clock.now
      if remaining <= .zero { return record }
      var descriptor = pollfd(fd: signal.descriptor, events: Int16(POLLIN), revents: 0)
      let wait = min(remaining, Self.longestUnwatchedWait)
      _ = poll(&descriptor, 1, Int32(wait.wholeMilliseconds + 1))
      signal.drain()
    }
  }

  /// How long `waitForResult` sleeps at most without a change signal, in case one is missed.
  static let longestUnwatchedWait: Duration = .milliseconds(50)

  /// Stores a group's member ids (a JSON array) in `task_groups`.
  public func saveGroup(_ groupID: String, members: [String], expiresIn: Duration?) throws {
    let json = JSONWriter.string(.array(members.map(JSONValue.string)))
    let expires = expiresIn.map { unixNow() + $0.seconds }
    try store.write("save group", unavailable: .backendUnavailable) { db in
      try db.execute(
        sql: "INSERT OR REPLACE INTO task_groups (group_id, members, expires) VALUES (?, ?, ?)",
        arguments: [groupID, json, expires])
    }
  }

  /// The member ids of a saved group that has not expired.
  public func restoreGroup(_ groupID: String) throws -> [String]? {
    let now = unixNow()
    let stored = try store.read("restore group", unavailable: .backendUnavailable) { db in
      try String.fetchOne(
        db,
        sql:
          "SELECT members FROM task_groups WHERE group_id = ? AND (expires IS NULL OR expires > ?)",
        arguments: [groupID, now])
    }
    guard let stored else { return nil }
    guard case .array(let values)? = try? JSONValue(parsing: Array(stored.utf8)),
      values.count <= StoredGroup.maximumMembers
    else {
      throw CeleriacError(
        .malformedMessage, "the group \(groupID.prefix(80)) stored is not a list of ids")
    }
    let members = values.compactMap(\.stringValue)
    guard members.count == values.count else {
      throw CeleriacError(
        .malformedMessage, "the group \(groupID.prefix(80)) stored is not a list of ids")
    }
    return members
  }

  /// Deletes expired results (and, along the way, expired revocations and idempotency keys);
  /// returns how many results.
  public func deleteExpired() throws -> Int {
    try store.write("delete expired results", unavailable: .backendUnavailable) { db in
      let now = unixNow()
      let results = try db.cachedStatement(
        sql: "DELETE FROM results WHERE expires IS NOT NULL AND expires <= ?")
      results.setUncheckedArguments([now])
      try results.execute()
      let deleted = db.changesCount
      for table in ["revoked", "idempotency_keys", "task_groups"] {
        let others = try db.cachedStatement(sql: "DELETE FROM \(table) WHERE expires <= ?")
        others.setUncheckedArguments([now])
        try others.execute()
      }
      return deleted
    }
  }

  /// Records the tasks as revoked for ``revocationLifetime``.
  public func revoke(_ taskIDs: [String]) throws {
    guard !taskIDs.isEmpty else { return }
    try store.write("revoke", unavailable: .backendUnavailable) { db in
      let upsert = try db.cachedStatement(
        sql: "INSERT OR REPLACE INTO revoked (task_id, expires) VALUES (?, ?)")
      let expires = unixNow() + Self.revocationLifetime.seconds
      for taskID in taskIDs {
        upsert.setUncheckedArguments([taskID, expires])
        try upsert.execute()
      }
    }
  }

  /// Which of `taskIDs` are revoked.
  public func revoked(among taskIDs: [String]) throws -> Set<String> {
    guard !taskIDs.isEmpty else { return [] }
    return try store.read("read revocations", unavailable: .backendUnavailable) { db in
      try Self.revoked(among: taskIDs, in: db)
    }
  }

  /// The ids of `taskIDs` revoked in the file of `db`, inside the caller's transaction (the
  /// broker's claim looks here when it shares the file).
  static func revoked(among taskIDs: [String], in db: Database) throws -> Set<String> {
    let select = try db.cachedStatement(
      sql: "SELECT 1 FROM revoked WHERE task_id = ? AND expires > ?")
    let now = unixNow()
    var revoked: Set<String> = []
    for taskID in taskIDs {
      if try Bool.fetchOne(select, arguments: [taskID, now]) != nil { revoked.insert(taskID) }
    }
    return revoked
  }

  /// Atomically records `key` for `taskID` unless a live reservation by another task holds it
  /// (an expired one is replaced). Returns the holder's id, or `nil` when `taskID` holds it.
  public func reserveIdempotencyKey(_ key: String, for taskID: String, expiresIn: Duration)
    throws -> String?
  {
    try store.write("reserve idempotency key", unavailable: .backendUnavailable) { db in
      let now = unixNow()
      let clear = try db.cachedStatement(
        sql: "DELETE FROM idempotency_keys WHERE key = ? AND expires <= ?")
      clear.setUncheckedArguments([key, now])
      try clear.execute()
      let insert = try db.cachedStatement(
        sql: "INSERT OR IGNORE INTO idempotency_keys (key, task_id, expires) VALUES (?, ?, ?)")
      insert.setUncheckedArguments([key, taskID, now + expiresIn.seconds])
      try insert.execute()
      let select = try db.cachedStatement(
        sql: "SELECT task_id FROM idempotency_keys WHERE key = ?")
      let holder = try String.fetchOne(select, arguments: [key])
      return holder == taskID ? nil : holder
    }
  }

  /// Deletes `key` if `taskID` holds it.
  public func releaseIdempotencyKey(_ key: String, heldBy taskID: String) throws {
    try store.write("release idempotency key", unavailable: .backendUnavailable) { db in
      try db.cachedStatement(sql: "DELETE FROM idempotency_keys WHERE key = ? AND task_id = ?")
        .execute(arguments: [key, taskID])
    }
  }
}
