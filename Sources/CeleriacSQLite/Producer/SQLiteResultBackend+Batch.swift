import CeleriacCore
import GRDB

extension SQLiteResultBackend {
  /// The most task ids read in one statement (SQLite's default limit on bound parameters is
  /// well above it).
  static let batchReadSize = 500

  /// The live records of `taskIDs`, by id, read in one snapshot; ids without a record (or
  /// with a stored value that does not decode) are absent.
  func results(for taskIDs: [String]) throws -> [String: TaskResultRecord] {
    guard !taskIDs.isEmpty else { return [:] }
    let rows = try store.read("read results", unavailable: .backendUnavailable) { db in
      var rows: [(String, String)] = []
      let now = unixNow()
      for start in stride(from: 0, to: taskIDs.count, by: Self.batchReadSize) {
        let chunk = Array(taskIDs[start..<min(start + Self.batchReadSize, taskIDs.count)])
        let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
        let sql = """
          SELECT task_id, record FROM results
          WHERE task_id IN (\(marks)) AND (expires IS NULL OR expires > ?)
          """
        var arguments = StatementArguments(chunk)
        arguments += [now]
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
          rows.append((row[0], row[1]))
        }
      }
      return rows
    }
    var records: [String: TaskResultRecord] = [:]
    for (taskID, json) in rows {
      records[taskID] = try? TaskResultRecord.decode(stored: json)
    }
    return records
  }
}
