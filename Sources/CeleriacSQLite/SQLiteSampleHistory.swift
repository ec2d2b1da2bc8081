import CeleriacCore
import GRDB

extension SQLiteBroker: SampleHistoryStoring {
  /// Inserts into `samples` and deletes the rows older than the newest `limit`, in one
  /// transaction.
  public func appendSample(_ json: String, keeping limit: Int) throws {
    guard json.utf8.count <= SampleHistoryLimits.maximumLength else {
      throw CeleriacError(.invalidArguments, "a sample is longer than 64 KiB")
    }
    let kept = min(max(limit, 1), SampleHistoryLimits.maximumKept)
    try store.write("store sample", unavailable: .brokerUnavailable) { db in
      try db.execute(
        sql: "INSERT INTO samples (sample, created) VALUES (?, ?)", arguments: [json, unixNow()])
      try db.execute(
        sql: "DELETE FROM samples WHERE id <= ?", arguments: [db.lastInsertedRowID - Int64(kept)])
    }
  }

  /// The newest rows of `samples`, oldest first.
  public func recentSamples(limit: Int) throws -> [String] {
    let count = min(max(limit, 0), SampleHistoryLimits.maximumKept)
    return try store.read("read samples", unavailable: .brokerUnavailable) { db in
      try String.fetchAll(
        db, sql: "SELECT sample FROM samples ORDER BY id DESC LIMIT ?", arguments: [count])
    }.reversed()
  }
}
