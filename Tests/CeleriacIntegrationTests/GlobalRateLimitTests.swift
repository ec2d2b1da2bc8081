import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Global rate limits (`rateLimitScope: .global`, the broker's token bucket) across two
/// supervisors sharing one broker, and `celeriac control rate-limit` changing a rate at run
/// time in both scopes.
@Suite("Global rate limits and control rate-limit", .serialized, .machineSlot)
struct GlobalRateLimitTests {
  /// How long a control call waits for the named worker.
  static let replyTimeout = "5"

  /// The spread of the start times the throttled tasks wrote.
  static func span(_ path: String) -> Double {
    let times = RateLimitIntegrationTests.starts(path)
    return (times.last ?? 0) - (times.first ?? 0)
  }

  /// How many tasks of `name` the worker `hostname` started, from `inspect stats`.
  static func started(_ name: String, on hostname: String, _ broker: BrokerUnderTest) throws
    -> Int64
  {
    let result = try broker.run([
      "inspect", "stats", "--json", "-d", hostname, "--timeout", replyTimeout,
    ])
    let replies = try? JSONCoding.decode(JSONValue.self, from: result.stdout)
    return replies?[hostname]?["total"]?[name]?.intValue ?? 0
  }

  @Test(
    "40 tasks at 10/s global on two supervisors take about 4 s, both ran some on Redis, others not held up",
    arguments: BrokerKind.allCases)
  func sharedBucket(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let path = broker.directory + "/starts.txt"
    let names = ["celeriac@global-a-\(kind)", "celeriac@global-b-\(kind)"]
    var workers: [WorkerProcess] = []
    for name in names { workers.append(try await broker.worker(["-c", "2", "-n", name])) }
    let connection = try broker.connection()
    let limited = (0..<40).map { _ in
      TaskMessage(name: "tasks.throttled_global", args: [.string(path)])
    }
    try connection.broker.publish(limited)
    let quick = TaskMessage(name: "tasks.add", args: [1, 2])
    try connection.broker.publish([quick])
    #expect(
      try await waitUntil(timeout: .seconds(60)) {
        RateLimitIntegrationTests.starts(path).count == 40
      }, "\(RateLimitIntegrationTests.starts(path).count) started")
    let times = RateLimitIntegrationTests.starts(path)
    // The unlimited task sent after them did not wait behind them (the worker's own times).
    let done = try #require(try connection.backend.result(for: quick.id)?.dateDone)
    #expect(done.timeIntervalSince1970 < (times.last ?? 0) - 1, "done \(done), starts \(times)")
    let span = Self.span(path)
    // Alone, each worker would run them at 10/s (2 s for 20); shared, 39 intervals of 0.1 s.
    #expect(span >= 2.5 && span < 30, "span \(span)")
    let counts = try names.map { try Self.started("tasks.throttled_global", on: $0, broker) }
    #expect(counts.reduce(0, +) == 40, "starts \(counts)")
    // On Redis both supervisors poll, so both take due tasks. On SQLite an idle supervisor
    // wakes on writes to the file, and a deferred task falling due writes nothing: the one
    // that deferred it (and noted its wake-up) takes it, and under load that can be all 40.
    if kind == .redis { #expect(counts.allSatisfy { $0 > 0 }, "starts \(counts)") }
    for worker in workers {
      worker.signal(SIGTERM)
      await #expect(try worker.waitForExit() == 0)
    }
  }

  @Test(
    "control rate-limit slows a per-worker and a global task, lifts a limit, refuses bad rates",
    arguments: BrokerKind.allCases)
  func changedAtRunTime(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let name = "celeriac@rates-\(kind)"
    let worker = try await broker.worker(["-c", "2", "-n", name])
    let connection = try broker.connection()

    func control(_ arguments: [String]) throws -> JSONValue? {
      let result = try broker.run(
        ["control", "rate-limit"] + arguments + [
          "--json", "-d", name, "--timeout", Self.replyTimeout,
        ])
      #expect(result.status == 0, "\(arguments): \(result.stderr)")
      return (try? JSONCoding.decode(JSONValue.self, from: result.stdout))?[name]
    }

    for task in ["tasks.throttled", "tasks.throttled_global"] {
      #expect(try control([task, "2/s"]) == ["ok": "new rate limit set successfully"])
      let path = broker.directory + "/\(task).txt"
      try connection.broker.publish(
        (0..<6).map { _ in TaskMessage(name: task, args: [.string(path)]) })
      #expect(
        try await waitUntil(timeout: .seconds(60)) {
          RateLimitIntegrationTests.starts(path).count == 6
        })
      // Five intervals of 0.5 s (at the declared 10/s they would take 0.5 s).
      let span = Self.span(path)
      #expect(span >= 2.0 && span < 30, "\(task): span \(span)")
    }

    #expect(try control(["tasks.throttled", "0"]) == ["ok": "rate limit disabled successfully"])
    #expect(try control(["tasks.nope", "1/s"]) == ["error": "unknown task"])
    let refused = try broker.run(["control", "rate-limit", "tasks.throttled", "ten/s"])
    #expect(refused.status != 0 && refused.stderr.contains("rate limit"), "\(refused.stderr)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }
}

/// The broker's bucket on its own, with given times: slots, reservations, forged claims.
@Suite("The global rate bucket in each broker", .machineSlot)
struct GlobalRateBucketTests {
  @Test(
    "evenly spaced slots, a reserved slot taken once, a forged claim counts for nothing",
    arguments: BrokerKind.allCases)
  func slots(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let bucket = try #require(try broker.connection().broker as? any GlobalRateLimiting)
    let now = Date().timeIntervalSince1970
    func take(_ id: String, at time: Double, claiming slot: Double? = nil) throws -> Double? {
      try bucket.takeRateSlot(
        RateSlotRequest(
          name: "tasks.bucket", taskID: id, interval: 0.5, now: time, claimedSlot: slot))
    }
    #expect(try take("a", at: now) == nil)
    let b = try #require(try take("b", at: now))
    let c = try #require(try take("c", at: now))
    #expect(abs(b - (now + 0.5)) < 0.001 && abs(c - (now + 1)) < 0.001, "\(b) \(c)")
    // Early: told its slot again, without taking another.
    #expect(try take("b", at: now + 0.2, claiming: b) == b)
    #expect(try take("b", at: b, claiming: b) == nil)
    // Used once: the same claim again takes a new slot.
    let again = try #require(try take("b", at: b, claiming: b))
    #expect(again > c, "\(again) after \(c)")
    // Someone else's slot, or a made-up one, is not a reservation.
    let forged = try #require(try take("d", at: c, claiming: c))
    #expect(forged > again)
    #expect(try take("c", at: c, claiming: c) == nil)
    // Other names have their own bucket.
    #expect(
      try bucket.takeRateSlot(
        RateSlotRequest(name: "tasks.other", taskID: "e", interval: 0.5, now: now, claimedSlot: nil)
      )
        == nil)
  }
}
