import CeleriacCore
import CeleriacRedis
import Foundation
import Testing

@Suite("Redis result listing")
struct RedisListingTests {
  @Test("a real Redis lists stored results newest first, filtered and paged, and counts them")
  func listsAndCounts() async throws {
    try await withServer { server, _ in
      let backend = try RedisResultBackend(url: server.url(suffix: "/1"))
      defer { backend.close() }
      let base = Date().addingTimeInterval(-60)
      let records = (0..<12).map { index in
        var record = TaskResultRecord(
          taskID: String(format: "r%02d", index), state: index % 4 == 0 ? .failure : .success,
          failure: index % 4 == 0 ? TaskFailure(type: "ValueError", message: "x") : nil,
          dateDone: base.addingTimeInterval(Double(index)), name: "tasks.n\(index % 2)")
        record.queue = "q"
        return record
      }
      try backend.store(records, expiresIn: .seconds(600))
      var seen: [String] = []
      var cursor: TaskCursor?
      repeat {
        let page = try backend.tasks(matching: TaskQuery(limit: 5, cursor: cursor))
        #expect(!page.isPartial)
        seen += page.records.map(\.taskID)
        cursor = page.nextCursor
      } while cursor != nil
      #expect(seen == (0..<12).reversed().map { String(format: "r%02d", $0) })
      let failed = try backend.tasks(matching: TaskQuery(state: .failure, name: "n0", limit: 50))
      #expect(failed.records.map(\.taskID) == ["r08", "r04", "r00"])
      let counts = try backend.taskCounts(since: base, bucket: .seconds(10))
      #expect(counts.reduce(0) { $0 + ($1.counts["SUCCESS"] ?? 0) } == 9)
      #expect(throws: CeleriacError.self) { try backend.tasks(matching: TaskQuery(limit: 0)) }
    }
  }

  @Test("samples are kept newest last, trimmed to the limit")
  func samples() async throws {
    try await withServer { server, _ in
      let broker = try RedisBroker(url: server.url())
      defer { broker.close() }
      for index in 1...5 { try broker.appendSample("{\"n\": \(index)}", keeping: 3) }
      #expect(try broker.recentSamples(limit: 10) == [#"{"n": 3}"#, #"{"n": 4}"#, #"{"n": 5}"#])
      #expect(try broker.recentSamples(limit: 1) == [#"{"n": 5}"#])
    }
  }

  @Test("a peek returns waiting messages in claim order without claiming them")
  func peek() async throws {
    try await withServer { server, _ in
      let broker = try RedisBroker(url: server.url())
      defer { broker.close() }
      try broker.publish([
        TaskMessage(id: "p-low", name: "tasks.add", args: [1], priority: 9),
        TaskMessage(id: "p-1", name: "tasks.add", args: [2]),
        TaskMessage(id: "p-2", name: "tasks.add", args: [3]),
      ])
      #expect(try broker.peek("celery", limit: 10).map(\.id) == ["p-1", "p-2", "p-low"])
      #expect(try broker.peek("celery", limit: 2).map(\.id) == ["p-1", "p-2"])
      #expect(try broker.depths(of: ["celery"])["celery"] == 3)
    }
  }
}
