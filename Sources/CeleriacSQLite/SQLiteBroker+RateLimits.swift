import CeleriacCore
import Foundation
import GRDB

extension SQLiteBroker: GlobalRateLimiting {
  /// Takes a start slot from the task name's bucket in one write transaction (tables
  /// `rate_buckets` and `rate_reservations`).
  public func takeRateSlot(_ request: RateSlotRequest) throws -> Double? {
    guard request.interval.isFinite, request.interval > 0, request.now.isFinite else {
      throw CeleriacError(.invalidArguments, "a rate slot needs a positive interval and a time")
    }
    let now = request.now
    let lifetime = RateSlotRequest.reservationLifetime
    let tolerance = RateSlotRequest.tolerance
    return try store.write("take a rate slot", unavailable: .brokerUnavailable) { db in
      try db.execute(
        sql: "DELETE FROM rate_reservations WHERE slot < ?", arguments: [now - lifetime])
      try db.execute(sql: "DELETE FROM rate_buckets WHERE expires < ?", arguments: [now])
      if let claimed = request.claimedSlot,
        let mine = try Double.fetchOne(
          db, sql: "SELECT slot FROM rate_reservations WHERE task_id = ? AND name = ?",
          arguments: [request.taskID, request.name]),
        abs(mine - claimed) < 0.000_001
      {
        guard mine <= now + tolerance else { return mine }
        try db.execute(
          sql: "DELETE FROM rate_reservations WHERE task_id = ?", arguments: [request.taskID])
        return nil
      }
      let stored =
        try Double.fetchOne(
          db, sql: "SELECT next_free FROM rate_buckets WHERE name = ?", arguments: [request.name])
        ?? now
      let free = max(stored, now)
      try db.execute(
        sql: "INSERT OR REPLACE INTO rate_buckets (name, next_free, expires) VALUES (?, ?, ?)",
        arguments: [request.name, free + request.interval, free + request.interval + lifetime])
      guard free > now + tolerance else { return nil }
      try db.execute(
        sql: "INSERT OR REPLACE INTO rate_reservations (task_id, name, slot) VALUES (?, ?, ?)",
        arguments: [request.taskID, request.name, free])
      return free
    }
  }
}
