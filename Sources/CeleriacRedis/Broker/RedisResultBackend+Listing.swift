import CeleriacCore
import Foundation

extension RedisResultBackend: TaskListing {
  /// The `COUNT` hint of each `SCAN` step.
  static let scanStep = 1_000

  /// Scans up to ``TaskListingLimits/maximumScanned`` `celery-task-meta-*` keys, reads them
  /// with `MGET`, and returns the page of matching records, newest first. Redis keeps no
  /// order of results, so a database holding more keys than that gives a partial page
  /// (``TaskPage/isPartial``).
  public func tasks(matching query: TaskQuery) throws -> TaskPage {
    if let problem = query.validationProblem {
      throw CeleriacError(.invalidArguments, "task listing: \(problem)")
    }
    let (records, partial) = try scanRecords()
    var matching = records.filter { record in
      guard query.matches(record) else { return false }
      guard let cursor = query.cursor else { return true }
      return cursor.precedes(time: record.dateDone.timeIntervalSince1970, id: record.taskID)
    }
    matching.sort { ($0.dateDone, $0.taskID) > ($1.dateDone, $1.taskID) }
    let page = Array(matching.prefix(query.limit))
    let next =
      matching.count > query.limit
      ? page.last.map { TaskCursor(time: $0.dateDone.timeIntervalSince1970, taskID: $0.taskID) }
      : nil
    return TaskPage(records: page, nextCursor: next, isPartial: partial)
  }

  /// Counts the scanned records by bucket and state.
  public func taskCounts(since: Date, bucket: Duration) throws -> [TaskCountBucket] {
    var grid = try TaskCountGrid(since: since, bucket: bucket)
    for record in try scanRecords().records {
      let offset = record.dateDone.timeIntervalSince1970 - grid.first
      guard offset >= 0 else { continue }
      grid.add(1, state: record.state.rawValue, slot: Int((offset / grid.width).rounded(.down)))
    }
    return grid.buckets
  }

  /// Every stored result the scan reaches, and whether it stopped before the end.
  private func scanRecords() throws -> (records: [TaskResultRecord], partial: Bool) {
    var keys: [String] = []
    var cursor = "0"
    repeat {
      let reply = try perform("list results") {
        try client.sendSync([
          "SCAN", cursor, "MATCH", CeleryResult.keyPrefix + "*", "COUNT", Self.scanStep,
        ]).checked()
      }
      guard let parts = reply.array, parts.count == 2, let next = parts[0].string else {
        throw CeleriacError(.protocolError, "SCAN gave an unexpected reply")
      }
      keys += (parts[1].array ?? []).compactMap(\.string)
      cursor = next
    } while cursor != "0" && keys.count < TaskListingLimits.maximumScanned
    let partial = cursor != "0"
    var records: [TaskResultRecord] = []
    records.reserveCapacity(keys.count)
    for start in stride(from: 0, to: keys.count, by: Self.scanStep) {
      let chunk = Array(keys[start..<min(start + Self.scanStep, keys.count)])
      let reply = try perform("read results") {
        try client.sendSync(["MGET"] + chunk).checked()
      }
      for (key, value) in zip(chunk, reply.array ?? []) {
        guard let json = value.string else { continue }
        let id = String(key.dropFirst(CeleryResult.keyPrefix.count))
        if let record = try? CeleryResult.decode(json, taskID: id) { records.append(record) }
      }
    }
    return (records, partial)
  }
}
