import CeleriacCore
import Foundation
import Testing

@testable import CeleriacSQLite

@Suite("SQLite result listing")
struct SQLiteListingTests {
  /// `count` SUCCESS records one second apart, every third a FAILURE of `tasks.fail`.
  func storeRecords(_ backend: SQLiteResultBackend, count: Int, base: Date) throws {
    let records = (0..<count).map { index in
      var record = TaskResultRecord(
        taskID: String(format: "t%03d", index), state: index % 3 == 0 ? .failure : .success,
        dateDone: base.addingTimeInterval(Double(index)),
        name: index % 3 == 0 ? "tasks.fail" : "tasks.add")
      record.queue = index % 2 == 0 ? "even" : "odd"
      return record
    }
    try backend.store(records, expiresIn: .seconds(3_600))
  }

  @Test("pages walk every record once, newest first, with filters applied in the query")
  func pagesAndFilters() async throws {
    try await withStore { _, backend, _ in
      let base = Date().addingTimeInterval(-100)
      try storeRecords(backend, count: 25, base: base)
      var seen: [String] = []
      var cursor: TaskCursor?
      repeat {
        let page = try backend.tasks(matching: TaskQuery(limit: 7, cursor: cursor))
        seen += page.records.map(\.taskID)
        cursor = page.nextCursor.flatMap { TaskCursor($0.description) }
      } while cursor != nil
      #expect(seen == (0..<25).reversed().map { String(format: "t%03d", $0) })
      let failed = try backend.tasks(matching: TaskQuery(state: .failure, limit: 100))
      #expect(failed.records.count == 9)
      let odd = try backend.tasks(matching: TaskQuery(name: "add", queue: "odd", limit: 100))
      #expect(odd.records.allSatisfy { $0.name == "tasks.add" && $0.queue == "odd" })
      let window = try backend.tasks(
        matching: TaskQuery(
          since: base.addingTimeInterval(10), until: base.addingTimeInterval(12), limit: 100))
      #expect(window.records.map(\.taskID) == ["t011", "t010"])
    }
  }

  @Test("counts group by bucket and state")
  func counts() async throws {
    try await withStore { _, backend, _ in
      let base = Date().addingTimeInterval(-30)
      try storeRecords(backend, count: 10, base: base)
      let buckets = try backend.taskCounts(since: base, bucket: .seconds(5))
      let total = buckets.reduce(0) {
        $0 + ($1.counts["SUCCESS"] ?? 0) + ($1.counts["FAILURE"] ?? 0)
      }
      #expect(total == 10)
      #expect(buckets.reduce(0) { $0 + ($1.counts["FAILURE"] ?? 0) } == 4)
      #expect(throws: CeleriacError.self) {
        try backend.taskCounts(since: base.addingTimeInterval(-1e9), bucket: .seconds(1))
      }
    }
  }

  @Test("bad queries are refused before the database is read")
  func refusesBadQueries() async throws {
    try await withStore { _, backend, _ in
      for query in [
        TaskQuery(limit: 0), TaskQuery(limit: TaskQuery.maximumLimit + 1),
        TaskQuery(name: String(repeating: "n", count: 500)),
        TaskQuery(since: Date(timeIntervalSince1970: .infinity)),
      ] {
        #expect(throws: CeleriacError.self) { try backend.tasks(matching: query) }
      }
      #expect(TaskCursor("garbage") == nil)
      #expect(TaskCursor("nan_x") == nil)
      #expect(TaskCursor("12.5_a b") == nil)
      #expect(TaskCursor("12.5_abc") == TaskCursor(time: 12.5, taskID: "abc"))
    }
  }

  @Test("samples are kept newest last, trimmed to the limit")
  func samples() async throws {
    try await withStore { broker, _, _ in
      for index in 1...5 { try broker.appendSample("{\"n\": \(index)}", keeping: 3) }
      #expect(try broker.recentSamples(limit: 10) == [#"{"n": 3}"#, #"{"n": 4}"#, #"{"n": 5}"#])
      #expect(try broker.store.rows("SELECT * FROM samples").count == 3)
      #expect(throws: CeleriacError.self) {
        try broker.appendSample(String(repeating: "x", count: 70_000), keeping: 3)
      }
    }
  }
}
