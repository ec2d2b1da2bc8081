import CeleriacCore
import Foundation
import GRDB

/// Beat's state in the SQLite file, beside the queues: the leader lease, each entry's last
/// published due time, and the dynamic entries.
///
/// ``publish(_:entry:due:leader:)`` inserts the task row and records the due time in one write
/// transaction (`BEGIN IMMEDIATE`) that first checks the lease and the last due time: a beat
/// killed mid-publish leaves both or neither, and no due time is published twice. The tables
/// are created on first use (`CREATE TABLE IF NOT EXISTS`), so a file that never ran beat has
/// none of them.
public final class SQLiteBeatStore: BeatStore {
  /// The shared file.
  public let store: SQLiteStore

  /// Beat's state in `store`, creating its tables if needed.
  ///
  /// - Throws: ``CeleriacError`` `.brokerUnavailable` when the file cannot be written.
  public init(store: SQLiteStore) throws {
    self.store = store
    try store.write("create beat tables", unavailable: .brokerUnavailable) { db in
      try db.execute(sql: Self.schemaSQL)
    }
  }

  /// Takes the lease if it is free, expired or already `holder`'s.
  public func acquireLeadership(_ holder: String, lease: Duration) throws -> Bool {
    try store.write("take the beat lease", unavailable: .brokerUnavailable) { db in
      let now = unixNow()
      if let row = try Row.fetchOne(
        db, sql: "SELECT holder, expires FROM beat_leader WHERE id = 1"),
        (row["holder"] as String) != holder, (row["expires"] as Double) > now
      {
        return false
      }
      try db.execute(
        sql: """
          INSERT INTO beat_leader (id, holder, expires) VALUES (1, ?, ?)
          ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
          """, arguments: [holder, now + lease.seconds])
      return true
    }
  }

  /// Deletes the lease if `holder` has it.
  public func resignLeadership(_ holder: String) throws {
    try store.write("give up the beat lease", unavailable: .brokerUnavailable) { db in
      try db.execute(
        sql: "DELETE FROM beat_leader WHERE id = 1 AND holder = ?", arguments: [holder])
    }
  }

  /// The lease holder, if the lease has not run out.
  public func leader() throws -> BeatLeader? {
    try store.read("read the beat lease", unavailable: .brokerUnavailable) { db in
      guard
        let row = try Row.fetchOne(
          db, sql: "SELECT holder, expires FROM beat_leader WHERE id = 1 AND expires > ?",
          arguments: [unixNow()])
      else { return nil }
      return BeatLeader(
        holder: row["holder"], expires: Date(timeIntervalSince1970: row["expires"]))
    }
  }

  /// Every entry's last published due time.
  public func lastRuns() throws -> [String: Date] {
    try store.read("read beat runs", unavailable: .brokerUnavailable) { db in
      var runs: [String: Date] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT name, last_due FROM beat_runs") {
        runs[row["name"]] = Date(timeIntervalSince1970: row["last_due"])
      }
      return runs
    }
  }

  /// In one transaction: checks the lease and the last due time, inserts the task, records
  /// `due`.
  public func publish(_ message: TaskMessage, entry: String, due: Date, leader: String) throws
    -> BeatPublishOutcome
  {
    let payload: String
    do {
      payload = try JSONCoding.encodeString(message)
    } catch {
      throw CeleriacError(
        .malformedMessage, "cannot encode beat task \(message.id) (\(message.name)): \(error)")
    }
    let dueSeconds = due.timeIntervalSince1970
    return try store.write("publish a beat task", unavailable: .brokerUnavailable) { db in
      let now = unixNow()
      guard
        try Bool.fetchOne(
          db, sql: "SELECT 1 FROM beat_leader WHERE id = 1 AND holder = ? AND expires > ?",
          arguments: [leader, now]) == true
      else { return .notLeader }
      if let last = try Double.fetchOne(
        db, sql: "SELECT last_due FROM beat_runs WHERE name = ?", arguments: [entry]),
        last >= dueSeconds
      {
        return .alreadyPublished(last: Date(timeIntervalSince1970: last))
      }
      let eta = message.eta?.timeIntervalSince1970 ?? now
      try db.execute(
        sql: SQLiteBroker.insertSQL,
        arguments: [
          message.id, message.queue, payload, eta, now,
          message.priority ?? TaskPriority.defaultValue,
        ])
      try db.execute(
        sql: """
          INSERT INTO beat_runs (name, last_due) VALUES (?, ?)
          ON CONFLICT (name) DO UPDATE SET last_due = excluded.last_due
          """, arguments: [entry, dueSeconds])
      return .published
    }
  }

  /// The dynamic entries and the overrides.
  public func storedEntries() throws -> [StoredBeatEntry] {
    let rows = try store.read("read beat entries", unavailable: .brokerUnavailable) { db in
      try Row.fetchAll(db, sql: "SELECT name, definition, enabled FROM beat_entries ORDER BY name")
        .map { row -> (String, String?, Bool?) in
          (row["name"], row["definition"], (row["enabled"] as Int?).map { $0 != 0 })
        }
    }
    return try rows.map { name, definition, enabled in
      StoredBeatEntry(
        name: name, definition: try definition.map { try Self.decode($0, name: name) },
        enabled: enabled)
    }
  }

  /// Stores a dynamic entry (replacing one of that name, keeping its enabled override).
  public func saveEntry(_ entry: ScheduleEntry) throws {
    let definition = try JSONCoding.encodeString(entry.json)
    try upsertEntry(entry.name, column: "definition", value: definition, "save a beat entry")
  }

  /// Deletes a stored entry and its override.
  public func removeEntry(named name: String) throws -> Bool {
    try store.write("remove a beat entry", unavailable: .brokerUnavailable) { db in
      try db.execute(sql: "DELETE FROM beat_entries WHERE name = ?", arguments: [name])
      let removed = db.changesCount > 0
      if removed { try Self.bumpRevision(db) }
      return removed
    }
  }

  /// Sets the enabled override of `name`.
  public func setEnabled(_ enabled: Bool, forEntryNamed name: String) throws {
    try upsertEntry(
      name, column: "enabled", value: enabled ? 1 : 0, "enable or disable a beat entry")
  }

  /// Sets one `column` of the entry `name` (adding its row when there is none) and bumps the
  /// revision, in one write named `operation`.
  private func upsertEntry(
    _ name: String, column: String, value: any DatabaseValueConvertible, _ operation: String
  ) throws {
    try store.write(operation, unavailable: .brokerUnavailable) { db in
      try db.execute(
        sql: """
          INSERT INTO beat_entries (name, \(column)) VALUES (?, ?)
          ON CONFLICT (name) DO UPDATE SET \(column) = excluded.\(column)
          """, arguments: [name, value])
      try Self.bumpRevision(db)
    }
  }

  /// The revision counter of the stored entries.
  public func revision() throws -> Int64 {
    try store.read("read the beat revision", unavailable: .brokerUnavailable) { db in
      try Int64.fetchOne(db, sql: "SELECT revision FROM beat_meta WHERE id = 1") ?? 0
    }
  }

  private static func bumpRevision(_ db: Database) throws {
    try db.execute(
      sql: """
        INSERT INTO beat_meta (id, revision) VALUES (1, 1)
        ON CONFLICT (id) DO UPDATE SET revision = revision + 1
        """)
  }

  private static func decode(_ definition: String, name: String) throws -> ScheduleEntry {
    do {
      return try ScheduleEntry(json: try JSONCoding.decode(JSONValue.self, from: definition))
    } catch {
      throw CeleriacError(
        .malformedMessage, "stored beat entry '\(name)' cannot be read: \(error)")
    }
  }

  private static let schemaSQL = """
    CREATE TABLE IF NOT EXISTS beat_leader (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      holder TEXT NOT NULL,
      expires REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS beat_runs (
      name TEXT PRIMARY KEY NOT NULL,
      last_due REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS beat_entries (
      name TEXT PRIMARY KEY NOT NULL,
      definition TEXT,
      enabled INTEGER
    );
    CREATE TABLE IF NOT EXISTS beat_meta (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      revision INTEGER NOT NULL
    );
    """
}
