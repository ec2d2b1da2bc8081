import CeleriacCore
import GRDB

extension SQLiteBroker: DeadLetterAdministering {
  /// The row with id `id` of `dead_letters`.
  public func deadLetter(id: String) throws -> DeadLetterEntry? {
    guard let row = Int64(id), row > 0 else { return nil }
    return try store.read("read dead letter", unavailable: .brokerUnavailable) { db in
      try Row.fetchOne(
        db, sql: "SELECT \(Self.deadLetterColumns) FROM dead_letters WHERE id = ?",
        arguments: [row]
      ).map(Self.deadLetterEntry)
    }
  }

  /// Moves each row back into `tasks` (payload unchanged, due now, no redeliveries counted)
  /// and deletes it from `dead_letters`, all in one transaction.
  public func replayDeadLetters(_ ids: [String]) throws -> [String] {
    let rows = ids.compactMap { id in Int64(id).flatMap { $0 > 0 ? $0 : nil } }
    guard !rows.isEmpty else { return [] }
    return try store.write("replay dead letters", unavailable: .brokerUnavailable) { db in
      let now = unixNow()
      var replayed: [String] = []
      for row in rows {
        try db.execute(
          sql: """
            INSERT INTO tasks (task_id, queue, payload, eta, state, redeliveries, created)
            SELECT task_id, queue, payload, ?, 'queued', 0, ? FROM dead_letters
            WHERE id = ? AND queue != ''
            """, arguments: [now, now, row])
        guard db.changesCount == 1 else { continue }
        try db.execute(sql: "DELETE FROM dead_letters WHERE id = ?", arguments: [row])
        replayed.append(String(row))
      }
      return replayed
    }
  }

  /// Deletes every row of `dead_letters`.
  public func purgeDeadLetters() throws -> Int {
    try store.write("purge dead letters", unavailable: .brokerUnavailable) { db in
      try db.execute(sql: "DELETE FROM dead_letters")
      return db.changesCount
    }
  }
}
