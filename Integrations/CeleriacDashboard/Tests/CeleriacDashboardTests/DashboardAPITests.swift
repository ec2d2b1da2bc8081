import CeleriacDashboard
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The JSON API of a real dashboard server on an ephemeral port over a real SQLite file.
@Suite("Dashboard API")
struct DashboardAPITests {
  static let action: HTTPFields = [HTTPField.Name("X-Celeriac-Dashboard")!: "1"]

  static func json(_ response: TestResponse) throws -> JSONValue {
    try JSONValue(parsing: Array(buffer: response.body))
  }

  @Test("the task list is newest first, filtered by state, name, queue and time, and pages")
  func taskList() async throws {
    let fixture = try DashboardFixture()
    defer { fixture.remove() }
    try fixture.seed()
    try await fixture.server().application().test(.live) { client in
      let all = try await client.execute(uri: "/api/tasks", method: .get) { try Self.json($0) }
      #expect(
        all["tasks"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
          == [fixture.startedID, fixture.failedID, fixture.succeededID])
      let failed = try await client.execute(uri: "/api/tasks?state=failure", method: .get) {
        try Self.json($0)
      }
      #expect(failed["tasks"]?.arrayValue?.count == 1)
      #expect(failed["tasks"]?.arrayValue?.first?["pid"]?.intValue == 4242)
      let named = try await client.execute(uri: "/api/tasks?name=add", method: .get) {
        try Self.json($0)
      }
      #expect(named["tasks"]?.arrayValue?.first?["id"]?.stringValue == fixture.succeededID)
      let queued = try await client.execute(uri: "/api/tasks?queue=images", method: .get) {
        try Self.json($0)
      }
      #expect(queued["tasks"]?.arrayValue?.count == 1)
      let late = Date().addingTimeInterval(-8.5).timeIntervalSince1970
      let recent = try await client.execute(uri: "/api/tasks?since=\(late)", method: .get) {
        try Self.json($0)
      }
      #expect(
        recent["tasks"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [
          fixture.startedID, fixture.failedID,
        ])
      let first = try await client.execute(uri: "/api/tasks?limit=2", method: .get) {
        try Self.json($0)
      }
      #expect(first["tasks"]?.arrayValue?.count == 2)
      let cursor = try #require(first["next"]?.stringValue)
      let encoded = cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor
      let second = try await client.execute(
        uri: "/api/tasks?limit=2&cursor=\(encoded)", method: .get
      ) {
        try Self.json($0)
      }
      #expect(
        second["tasks"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [fixture.succeededID])
      #expect(second["next"] == .null)
    }
  }

  @Test("a task page has args, kwargs, traceback, retries, child pid and timeline")
  func taskPage() async throws {
    let fixture = try DashboardFixture()
    defer { fixture.remove() }
    try fixture.seed()
    try await fixture.server().application().test(.live) { client in
      let task = try await client.execute(uri: "/api/tasks/\(fixture.failedID)", method: .get) {
        try Self.json($0)
      }
      #expect(task["state"]?.stringValue == "FAILURE")
      #expect(task["args"]?.stringValue == #"["boom"]"#)
      #expect(task["kwargs"]?.stringValue == #"{"level": 3}"#)
      #expect(task["traceback"]?.stringValue?.hasSuffix("ValueError: boom") == true)
      #expect(task["retries"]?.intValue == 1)
      #expect(task["pid"]?.intValue == 4242)
      #expect(task["worker"]?.stringValue == "w1@test")
      #expect(
        task["timeline"]?.arrayValue?.compactMap { $0["state"]?.stringValue } == [
          "STARTED", "FAILURE",
        ])
      let unknown = try await client.execute(uri: "/api/tasks/nope", method: .get) {
        try Self.json($0)
      }
      #expect(unknown["state"]?.stringValue == "PENDING")
      #expect(unknown["known"] == .bool(false))
    }
  }

  @Test("hostile query parameters and ids are refused with 400 before the backend is asked")
  func hostileInput() async throws {
    let fixture = try DashboardFixture()
    defer { fixture.remove() }
    try await fixture.server().application().test(.live) { client in
      let long = String(repeating: "a", count: 3_000)
      for uri in [
        "/api/tasks?limit=0", "/api/tasks?limit=501", "/api/tasks?limit=abc",
        "/api/tasks?state=%3Cscript%3E", "/api/tasks?since=nan", "/api/tasks?until=1e300",
        "/api/tasks?cursor=garbage", "/api/tasks?name=\(long)", "/api/tasks/\(long)",
        "/api/dead-letters?limit=-1", "/api/dead-letters/xyz",
      ] {
        try await client.execute(uri: uri, method: .get) { response in
          #expect(response.status == .badRequest, "\(uri.prefix(60))")
          #expect((try? Self.json(response))?["error"]?.stringValue != nil)
        }
      }
      try await client.execute(
        uri: "/api/dead-letters/replay", method: .post, headers: Self.action,
        body: ByteBuffer(string: #"{"ids": ["not hex"]}"#)
      ) { #expect($0.status == .badRequest) }
      try await client.execute(
        uri: "/api/dead-letters/replay", method: .post, headers: Self.action,
        body: ByteBuffer(string: "[[[[")
      ) { #expect($0.status == .badRequest) }
    }
  }

  @Test("dead letters are listed, replayed onto their queue and purged; actions need the header")
  func deadLetters() async throws {
    let fixture = try DashboardFixture()
    defer { fixture.remove() }
    try fixture.seed()
    try await fixture.server().application().test(.live) { client in
      let list = try await client.execute(uri: "/api/dead-letters", method: .get) {
        try Self.json($0)
      }
      let id = try #require(list.arrayValue?.first?["id"]?.stringValue)
      #expect(list.arrayValue?.first?["reason"]?.stringValue == "bad on purpose")
      let shown = try await client.execute(uri: "/api/dead-letters/\(id)", method: .get) {
        try Self.json($0)
      }
      #expect(shown["payload"]?.stringValue?.contains("tasks.bad") == true)
      let body = ByteBuffer(string: #"{"ids": ["\#(id)"]}"#)
      try await client.execute(uri: "/api/dead-letters/replay", method: .post, body: body) {
        #expect($0.status == .forbidden)
      }
      let replayed = try await client.execute(
        uri: "/api/dead-letters/replay", method: .post, headers: Self.action, body: body
      ) { try Self.json($0) }
      #expect(replayed["replayed"] == .array([.string(id)]))
      #expect(try fixture.connection.broker.depths(of: ["images"])["images"] == 1)
      let claimed = try fixture.connection.broker.claim(
        from: ["images"], limit: 1, consumer: ConsumerIdentity(id: "again"))
      try fixture.connection.broker.deadLetter(claimed.deliveries[0].tag, reason: "again")
      let purged = try await client.execute(
        uri: "/api/dead-letters/purge", method: .post, headers: Self.action
      ) { try Self.json($0) }
      #expect(purged["purged"]?.intValue == 1)
      #expect(try fixture.connection.broker.deadLetters(limit: 10).isEmpty)
    }
  }

  @Test("queued tasks are listed in claim order, and a waiting task's page shows its message")
  func queued() async throws {
    let fixture = try DashboardFixture()
    defer { fixture.remove() }
    try fixture.connection.broker.publish([
      TaskMessage(id: "q-1", name: "tasks.add", args: [1, 2]),
      TaskMessage(id: "q-2", name: "tasks.add", args: [3, 4], priority: 0),
    ])
    try await fixture.server().application().test(.live) { client in
      let queued = try await client.execute(uri: "/api/queued", method: .get) {
        try Self.json($0)
      }
      #expect(queued.arrayValue?.compactMap { $0["id"]?.stringValue } == ["q-1", "q-2"])
      let task = try await client.execute(uri: "/api/tasks/q-2", method: .get) {
        try Self.json($0)
      }
      #expect(task["waiting"] == .bool(true))
      #expect(task["args"]?.stringValue == "[3, 4]")
      try await client.execute(uri: "/api/queued?limit=9999", method: .get) {
        #expect($0.status == .badRequest)
      }
    }
  }

  @Test("revoke marks the task revoked in the backend")
  func revoke() async throws {
    let fixture = try DashboardFixture()
    defer { fixture.remove() }
    try await fixture.server().application().test(.live) { client in
      let answer = try await client.execute(
        uri: "/api/tasks/queued-1/revoke", method: .post, headers: Self.action
      ) { try Self.json($0) }
      #expect(answer["revoked"]?.stringValue == "queued-1")
      #expect(try fixture.connection.backend.revoked(among: ["queued-1"]) == ["queued-1"])
      let task = try await client.execute(uri: "/api/tasks/queued-1", method: .get) {
        try Self.json($0)
      }
      #expect(task["state"]?.stringValue == "REVOKED")
    }
  }

  @Test("the overview has queue depths, samples and per-bucket counts from the backend")
  func overview() async throws {
    let fixture = try DashboardFixture()
    defer { fixture.remove() }
    try fixture.seed()
    try fixture.connection.broker.publish([TaskMessage(name: "tasks.add", args: [1, 2])])
    let server = try fixture.server()
    try await server.sampler.sample()
    try await server.application().test(.live) { client in
      let overview = try await client.execute(uri: "/api/overview", method: .get) {
        try Self.json($0)
      }
      #expect(overview["queues"]?["celery"]?.intValue == 1)
      #expect((overview["samples"]?.arrayValue?.count ?? 0) >= 1)
      let counts = overview["counts"]?.arrayValue ?? []
      let total = counts.reduce(0) { $0 + Int($1["counts"]?["SUCCESS"]?.intValue ?? 0) }
      #expect(total == 1)
      #expect(counts.reduce(0) { $0 + Int($1["counts"]?["FAILURE"]?.intValue ?? 0) } == 1)
    }
  }
}

/// The sampled history outlives the dashboard: a new server over the same file shows it.
@Suite("Dashboard history")
struct DashboardHistoryTests {
  @Test("samples are kept in the broker and restored by the next dashboard")
  func survivesRestart() async throws {
    let fixture = try DashboardFixture()
    defer { fixture.remove() }
    try fixture.connection.broker.publish([TaskMessage(name: "tasks.add", args: [1, 2])])
    let first = try fixture.server()
    let taken = try await first.sampler.sample()
    let second = try fixture.server()
    #expect(await second.sampler.history.isEmpty)
    try await second.sampler.restore()
    let restored = await second.sampler.history
    #expect(restored == [taken])
    #expect(restored.first?.depths["celery"] == 1)
    // Unchanged samples are not written again at once (every write wakes idle SQLite workers).
    try await second.sampler.sample()
    #expect(await second.sampler.history.count == 2)
    let history = try #require(fixture.connection.broker as? any SampleHistoryStoring)
    #expect(try history.recentSamples(limit: 10).count == 1)
  }
}
