import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `celeriac worker --metrics-port`: Prometheus text at `/metrics` whose values move with the
/// work, fetched with curl as a scraper would.
@Suite("Prometheus metrics", .serialized, .machineSlot)
struct MetricsTests {
  /// The samples of a scrape, `name{labels}` → value (comments and buckets left out).
  static func samples(_ text: String) -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      guard let space = line.lastIndex(of: " "),
        let value = Double(line[line.index(after: space)...])
      else { continue }
      samples[String(line[..<space])] = value
    }
    return samples
  }

  static func scrape(_ port: Int, path: String = "/metrics") throws -> (status: Int32, body: String)
  {
    let result = try runProcess(
      "/usr/bin/curl", ["-s", "-f", "--max-time", "10", "http://127.0.0.1:\(port)\(path)"],
      directory: NSTemporaryDirectory())
    return (result.status, result.stdout)
  }

  @Test("tasks by name and state, run-time histogram, pool children, restarts, dead letters")
  func valuesMoveWithWork() async throws {
    let sandbox = try Sandbox()
    let port = try RedisTestServer.freePort()
    let worker = try await WorkerProcess(
      sandbox: sandbox, arguments: ["-c", "2", "--metrics-port", "\(port)"])
    let first = Self.samples(try Self.scrape(port).body)
    #expect(first[#"celeriac_pool_children{pool="celery",state="idle"}"#] == 2, "\(first)")
    #expect(first[#"celeriac_pool_target_children{pool="celery"}"#] == 2)
    #expect(first[#"celeriac_queue_depth{queue="celery"}"#] == 0)
    #expect(first[#"celeriac_tasks_total{task="tasks.add",state="SUCCESS"}"#] == nil)

    for value in 0..<3 {
      await #expect(
        try sandbox.waitForRecord(try sandbox.send("tasks.add", [.int(Int64(value)), 1]))?.result
          != nil)
    }
    await #expect(
      try sandbox.waitForRecord(try sandbox.send("tasks.fail", ["boom"]))?.state == .failure)
    _ = try sandbox.send("tasks.nope")
    var seen: [String: Double] = [:]
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        seen = Self.samples(try Self.scrape(port).body)
        return seen[#"celeriac_tasks_total{task="tasks.add",state="SUCCESS"}"#] == 3
          && seen[#"celeriac_tasks_total{task="tasks.fail",state="FAILURE"}"#] == 1
          && seen["celeriac_dead_letters_total"] == 1
      }, "\(seen)")
    #expect(seen[#"celeriac_task_runtime_seconds_count{task="tasks.add"}"#] == 3)
    #expect(seen[#"celeriac_tasks_total{task="unregistered",state="FAILURE"}"#] == 1)
    // Every claim and every commit of those tasks was timed; the broker answered throughout.
    #expect(seen[#"celeriac_broker_call_seconds_count{operation="claim"}"#] ?? 0 >= 5, "\(seen)")
    #expect(seen[#"celeriac_broker_call_seconds_count{operation="commit"}"#] ?? 0 >= 1)
    #expect(seen[#"celeriac_broker_call_seconds_bucket{operation="commit",le="5.0"}"#] != nil)
    #expect(seen["celeriac_broker_up"] == 1 && seen["celeriac_broker_outages_total"] == nil)

    let sleeping = try sandbox.send("tasks.sleep", [30])
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        Self.samples(try Self.scrape(port).body)[
          #"celeriac_pool_children{pool="celery",state="busy"}"#] == 1
      })
    // Revoked with terminate: counted REVOKED, the child free again.
    let revoke = try sandbox.run([
      "control", "revoke", sleeping, "--terminate", "--signal", "KILL", "--timeout", "5",
    ])
    #expect(revoke.status == 0, "\(revoke.stderr)")
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        let now = Self.samples(try Self.scrape(port).body)
        return now[#"celeriac_tasks_total{task="tasks.sleep",state="REVOKED"}"#] == 1
          && now[#"celeriac_pool_children{pool="celery",state="busy"}"#] == 0
      })
    // Children killed from outside: crash restarts.
    for child in worker.childPIDs() { kill(child, SIGKILL) }
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        Self.samples(try Self.scrape(port).body)[
          #"celeriac_child_restarts_total{pool="celery",cause="crash"}"#] ?? 0 >= 1
      })

    #expect(try Self.scrape(port, path: "/nothing").status != 0)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("hostile requests get an error or are dropped; the next scrape is served")
  func hostileRequests() async throws {
    let sandbox = try Sandbox()
    let port = try RedisTestServer.freePort()
    let worker = try await WorkerProcess(
      sandbox: sandbox, arguments: ["-c", "1", "--metrics-port", "\(port)"])
    let requests = [
      #"printf 'POST /metrics HTTP/1.1\r\n\r\n'"#, #"printf 'GET\r\n\r\n'"#,
      "head -c 20000 /dev/zero", "printf 'GET /metrics'", #"printf '\xff\xfe\r\n\r\n'"#,
    ]
    for request in requests {
      let sent = try runProcess(
        "/bin/bash",
        [
          "-c",
          "exec 3<>/dev/tcp/127.0.0.1/\(port); \(request) >&3; timeout 7 cat <&3 | head -c 200",
        ],
        directory: sandbox.directory)
      #expect(!sent.stdout.contains("200 OK"), "\(request): \(sent.stdout)")
    }
    let scrape = try Self.scrape(port)
    #expect(scrape.status == 0 && scrape.body.contains("celeriac_pool_children"))
    #expect(worker.process.isRunning)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("a Redis outage: broker_up drops to 0, one outage is counted, and up is 1 again after")
  func brokerOutage() async throws {
    let redis = try await RedisSandbox()
    let port = try RedisTestServer.freePort()
    let worker = try await redis.worker(["-c", "1", "--metrics-port", "\(port)"])
    #expect(try redis.run(["send", "tasks.add", "1", "2"]).status == 0)
    var seen: [String: Double] = [:]
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        seen = Self.samples(try Self.scrape(port).body)
        return seen["celeriac_broker_up"] == 1
          && seen[#"celeriac_tasks_total{task="tasks.add",state="SUCCESS"}"#] == 1
      }, "\(seen)")
    redis.server.stop()
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        seen = Self.samples(try Self.scrape(port).body)
        return seen["celeriac_broker_up"] == 0
      }, "\(seen)")
    #expect(seen["celeriac_broker_outages_total"] == 1)
    try await redis.server.start()
    #expect(
      try await waitUntil(timeout: .seconds(30)) {
        seen = Self.samples(try Self.scrape(port).body)
        return seen["celeriac_broker_up"] == 1
      }, "\(seen)")
    #expect(seen["celeriac_broker_outages_total"] == 1, "one outage, counted once")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test(
    "bad --metrics-port and --metrics-address are refused with one line",
    arguments: [
      ["--metrics-port", "0"], ["--metrics-port", "70000"],
      ["--metrics-port", "9", "--metrics-address", "localhost:9"],
    ])
  func badFlags(_ arguments: [String]) throws {
    let sandbox = try Sandbox()
    let result = try sandbox.run(["worker"] + arguments)
    #expect(result.status != 0 && result.stderr.contains("metrics"), "\(result.stderr)")
  }
}
