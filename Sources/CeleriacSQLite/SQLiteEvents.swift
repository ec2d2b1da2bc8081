import CeleriacCore
import Foundation
import GRDB

extension SQLiteBroker: EventPublishing, EventSubscribing {
  /// How many events the broker file keeps: older ones are deleted as new ones come, so a
  /// worker run with `-E` and nobody following cannot grow the file without bound.
  public static let retainedEvents = 10_000
  /// How many row ids pass between two trims (so the table holds at most ``retainedEvents``
  /// plus this plus one batch).
  static let trimEvery: Int64 = 500

  /// Appends the events to the `events` table in one transaction and, every ``trimEvery`` rows,
  /// drops the oldest beyond ``retainedEvents``.
  public func publishEvents(_ events: [WorkerEvent]) throws {
    guard !events.isEmpty else { return }
    let rows = events.map { ($0.routingKey, JSONWriter.string(.object($0.fields))) }
    try store.write("publish events", unavailable: .brokerUnavailable) { db in
      let now = unixNow()
      for (routingKey, fields) in rows {
        try db.execute(
          sql: "INSERT INTO events (routing_key, fields, created) VALUES (?, ?, ?)",
          arguments: [routingKey, fields, now])
      }
      // Trimmed each time the row ids cross a multiple of `trimEvery`, not on every write.
      let last = db.lastInsertedRowID
      if last / Self.trimEvery != (last - Int64(rows.count)) / Self.trimEvery {
        try db.execute(
          sql: "DELETE FROM events WHERE id <= ? - ?", arguments: [last, Self.retainedEvents])
      }
    }
  }

  /// Follows the `events` table from its newest row on.
  public func subscribeEvents() throws -> any EventSubscription {
    let newest = try store.read("read events", unavailable: .brokerUnavailable) { db in
      try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM events") ?? 0
    }
    return SQLiteEventSubscription(broker: self, after: newest)
  }

  /// Up to `limit` events after row `cursor`, oldest first, with the last row's id.
  func events(after cursor: Int64, limit: Int) throws -> (events: [WorkerEvent], cursor: Int64) {
    try store.read("read events", unavailable: .brokerUnavailable) { db in
      var last = cursor
      var events: [WorkerEvent] = []
      let rows = try Row.fetchAll(
        db, sql: "SELECT id, routing_key, fields FROM events WHERE id > ? ORDER BY id LIMIT ?",
        arguments: [cursor, limit])
      for row in rows {
        last = row["id"]
        // A row that does not parse (written by hand, say) is skipped, not fatal.
        let text: String = row["fields"]
        guard case .object(let fields)? = try? JSONValue(parsing: text) else { continue }
        events.append(WorkerEvent(routingKey: row["routing_key"], fields: fields))
      }
      return (events, last)
    }
  }
}

/// Polls the broker file's `events` table for rows after the last one read.
final class SQLiteEventSubscription: EventSubscription {
  /// How often the table is read while waiting.
  static let pollInterval: Duration = .milliseconds(50)
  /// The most rows one read returns.
  static let batchSize = 1_000

  private let broker: SQLiteBroker
  private var cursor: Int64

  init(broker: SQLiteBroker, after cursor: Int64) {
    self.broker = broker
    self.cursor = cursor
  }

  func next(timeout: Duration) throws -> [WorkerEvent] {
    let deadline = ContinuousClock.now + timeout
    while true {
      let (events, last) = try broker.events(after: cursor, limit: Self.batchSize)
      cursor = last
      if !events.isEmpty || ContinuousClock.now >= deadline { return events }
      Thread.sleep(forTimeInterval: Self.pollInterval.seconds)
    }
  }

  func close() {}
}
