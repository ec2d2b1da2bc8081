import CeleriacCore
import Foundation
import GRDB

extension SQLiteResultBackend: TaskListing {
  /// One page of the newest records that match, read through `results_done` (or
  /// `results_state_done` with a state) by (time, id) descending, from the cursor on.
  public func tasks(matching query: TaskQuery) throws -> TaskPage {
    if let problem = query.validationProblem {
      throw CeleriacError(.invalidArguments, "task listing: \(problem)")
    }
    var conditions = ["(expires IS NULL OR expires > ?)"]
    var arguments: [(any DatabaseValueConvertible)?] = [unixNow()]
    if let state = query.state {
      conditions.append("state = ?")
      arguments.append(state.rawValue)
    }
    if let name = query.name, !name.isEmpty {
      conditions.append("instr(name, ?) > 0")
      arguments.append(name)
    }
    if let queue = query.queue, !queue.isEmpty {
      conditions.append("queue = ?")
      arguments.append(queue)
    }
    if let since = query.since {
      conditions.append("done >= ?")
      arguments.append(since.timeIntervalSince1970)
    }
    if let until = query.until {
      conditions.append("done < ?")
      arguments.append(until.timeIntervalSince1970)
    }
    if let cursor = query.cursor {
      conditions.append("(done < ? OR (done = ? AND task_id < ?))")
      arguments += [cursor.time, cursor.time, cursor.taskID]
    }
    let sql = """
      SELECT record, done FROM results WHERE \(conditions.joined(separator: " AND "))
      ORDER BY done DESC, task_id DESC LIMIT ?
      """
    arguments.append(query.limit + 1)
    let rows = try store.read("list results", unavailable: .backendUnavailable) { db in
      try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map {
        row -> (String, Double) in (row[0], row[1] ?? 0)
      }
    }
    // The cursor takes the indexed column, not the record's date (stored to microseconds).
    var page: [(record: TaskResultRecord, done: Double)] = []
    for (json, done) in rows.prefix(query.limit) {
      if let record = try? TaskResultRecord.decode(stored: json) {
        page.append((record, done))
      }
    }
    let records = page.map(\.record)
    var next: TaskCursor?
    if rows.count > query.limit, let last = page.last {
      next = TaskCursor(time: last.done, taskID: last.record.taskID)
    }
    return TaskPage(records: records, nextCursor: next)
  }

  /// Counts by bucket and state in one grouped read of `results_done`.
  public func taskCounts(since: Date, bucket: Duration) throws -> [TaskCountBucket] {
    var grid = try TaskCountGrid(since: since, bucket: bucket)
    let rows = try store.read("count results", unavailable: .backendUnavailable) { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT CAST((done - ?) / ? AS INTEGER) AS slot, state, count(*) AS n
          FROM results WHERE done >= ? GROUP BY slot, state
          """, arguments: [grid.first, grid.width, grid.first])
    }
    for row in rows {
      grid.add(row["n"], state: row["state"], slot: row["slot"])
    }
    return grid.buckets
  }
}
