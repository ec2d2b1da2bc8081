import CeleriacCore
import Foundation
import GRDB

extension SQLiteBroker: ChordCounting {
  /// The position of a part sent without a `group_index` (after every indexed one).
  static let unindexedPosition = Int64(TaskMessageLimits.maximumGroupIndex) + 1
  /// How many abandoned chords one call takes over at most.
  static let chordTakeOverLimit = 100
  /// How long a chord's row lives when results never expire, in seconds.
  static let chordLifetime: Double = 7 * 86_400

  /// Records the header size (replacing an earlier run of the same group id).
  public func prepareChord(groupID: String, size: Int, expiresIn: Duration?) throws {
    let expires = unixNow() + (expiresIn?.seconds ?? Self.chordLifetime)
    try store.write("prepare chord", unavailable: .brokerUnavailable) { db in
      try db.execute(
        sql: "DELETE FROM chord_parts WHERE group_id = ?", arguments: [groupID])
      try db.execute(
        sql: """
          INSERT OR REPLACE INTO chords (group_id, size, body, token, claimed, done, expires)
          VALUES (?, ?, NULL, NULL, NULL, 0, ?)
          """, arguments: [groupID, size, expires])
    }
  }

  /// Commits as ``commit(publishing:results:expiresIn:acknowledging:)`` and counts each part
  /// in the same write transaction; a part seen before (a redelivery) counts once.
  public func commit(
    publishing messages: [TaskMessage], results: [TaskResultRecord], expiresIn: Duration?,
    acknowledging tags: [DeliveryTag], chordParts parts: [ChordPart]
  ) throws -> [CompletedChord] {
    let now = unixNow()
    let rows = try encodeRows(messages, now: now)
    let encoded = SQLiteResultBackend.encode(results)
    let outcomes = try parts.map { try JSONCoding.encodeString($0.outcome) }
    let bodies = try parts.map { try JSONCoding.encodeString($0.chord) }
    let token = UUID().lowercasedText
    let held = try self.held(tags)
    let completed = try store.write(
      "store results and count chord parts", unavailable: .brokerUnavailable
    ) { db in
      try Self.insert(rows, now: now, in: db)
      try SQLiteResultBackend.upsert(encoded, expiresIn: expiresIn, in: db)
      try Self.delete(held, in: db)
      var completed: [CompletedChord] = []
      for (index, part) in parts.enumerated() {
        guard
          let chord = try Row.fetchOne(
            db, sql: "SELECT size, token, done FROM chords WHERE group_id = ?",
            arguments: [part.groupID])
        else { continue }
        let done: Int = chord["done"]
        if done != 0 { continue }
        try db.execute(
          sql: """
            INSERT OR IGNORE INTO chord_parts (group_id, task_id, position, outcome)
            VALUES (?, ?, ?, ?)
            """,
          arguments: [
            part.groupID, part.taskID,
            part.groupIndex.map(Int64.init) ?? Self.unindexedPosition, outcomes[index],
          ])
        let counted =
          try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM chord_parts WHERE group_id = ?",
            arguments: [part.groupID]) ?? 0
        let size: Int? = chord["size"]
        let claim: String? = chord["token"]
        if let size, counted == size, claim == nil {
          try db.execute(
            sql: "UPDATE chords SET token = ?, body = ?, claimed = ? WHERE group_id = ?",
            arguments: [token, bodies[index], now, part.groupID])
          completed.append(CompletedChord(body: part.chord, token: token))
        }
      }
      return completed
    }
    forget(held)
    return completed
  }

  /// Publishes the body (or stores its failure and publishes its errbacks) and marks the chord
  /// done, in one transaction that first checks the claim.
  public func finish(
    _ chord: CompletedChord, expiresIn: Duration?, defaultQueue: (String) -> String
  ) throws -> Bool {
    let group = chord.body.groupID
    return try store.write("finish chord", unavailable: .brokerUnavailable) { db in
      let claim = try String.fetchOne(
        db, sql: "SELECT token FROM chords WHERE group_id = ? AND done = 0", arguments: [group])
      guard claim == chord.token else { return false }
      let stored = try String.fetchAll(
        db,
        sql: "SELECT outcome FROM chord_parts WHERE group_id = ? ORDER BY position, rowid",
        arguments: [group])
      let parts = stored.compactMap { try? JSONCoding.decode(ChordPartOutcome.self, from: $0) }
      let readable =
        parts.count == stored.count
        ? parts
        : [
          ChordPartOutcome(
            taskID: chord.body.parentID, state: .failure,
            failure: TaskFailure(
              type: "ValueError", message: "a part of chord \(group) is not readable"))
        ]
      let resolution = ChordResolution(
        chord: chord.body, parts: readable, defaultQueue: defaultQueue)
      let now = unixNow()
      try Self.insert(try encodeRows(resolution.messages, now: now), now: now, in: db)
      try SQLiteResultBackend.upsert(
        SQLiteResultBackend.encode(resolution.records), expiresIn: expiresIn, in: db)
      try db.execute(
        sql: "UPDATE chords SET done = 1, body = NULL WHERE group_id = ?", arguments: [group])
      try db.execute(sql: "DELETE FROM chord_parts WHERE group_id = ?", arguments: [group])
      return true
    }
  }

  /// Takes over claimed chords nobody finished for `age`, and forgets expired finished ones.
  public func takeOverAbandonedChords(olderThan age: Duration) throws -> [CompletedChord] {
    let now = unixNow()
    let token = UUID().lowercasedText
    return try store.write("take over abandoned chords", unavailable: .brokerUnavailable) { db in
      try db.execute(sql: "DELETE FROM chords WHERE expires < ?", arguments: [now])
      let stale = try Row.fetchAll(
        db,
        sql: """
          SELECT group_id, body FROM chords INDEXED BY chords_claimed
          WHERE token IS NOT NULL AND done = 0 AND claimed < ? LIMIT ?
          """, arguments: [now - age.seconds, Self.chordTakeOverLimit])
      var taken: [CompletedChord] = []
      for row in stale {
        let group: String = row["group_id"]
        guard let text: String = row["body"],
          let body = try? JSONCoding.decode(ChordBody.self, from: text)
        else { continue }
        try db.execute(
          sql: "UPDATE chords SET token = ?, claimed = ? WHERE group_id = ?",
          arguments: [token, now, group])
        taken.append(CompletedChord(body: body, token: token))
      }
      return taken
    }
  }
}
