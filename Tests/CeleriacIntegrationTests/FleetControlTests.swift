import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `celeriac inspect …`, `celeriac control …` and `celeriac dead-letters …` against real
/// workers on both brokers (SQLite through the broker file's mailbox, Redis through Celery's
/// pidbox).
@Suite("Inspecting and steering workers from the command line", .serialized, .machineSlot)
struct FleetControlTests {
  /// Long enough for a loaded machine; the calls return as soon as the named worker answers.
  static let replyTimeout = "5"

  /// `celeriac inspect VERB --json -d NAME`, decoded as `{worker: reply}`.
  static func ask(
    _ fleet: FleetSandbox, _ verb: [String], worker name: String
  ) throws -> [String: JSONValue] {
    let result = try fleet.run(verb + ["--json", "-d", name, "--timeout", replyTimeout])
    #expect(result.status == 0, "\(verb): \(result.stderr)")
    guard case .object(let replies)? = try? JSONCoding.decode(JSONValue.self, from: result.stdout)
    else {
      Issue.record("\(verb) did not print JSON: \(result.stdout) \(result.stderr)")
      return [:]
    }
    return replies
  }

  @Test(
    "inspect ping/active/stats/registered/active_queues, control revoke --terminate, pool-grow, shutdown",
    arguments: FleetBroker.allCases)
  func inspectAndControl(_ kind: FleetBroker) async throws {
    let fleet = try await FleetSandbox(kind)
    let name = "celeriac@fleet-\(kind)"
    let worker = try await fleet.worker(["-c", "2", "-n", name])

    let ping = try fleet.run(["inspect", "ping", "-d", name, "--timeout", Self.replyTimeout])
    #expect(ping.status == 0 && ping.stdout == "-> \(name): OK\n    pong\n", "\(ping.stdout)")

    let sent = try fleet.run(["send", "tasks.sleep", "30"])
    let id = sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    var running: JSONValue?
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        running = try Self.ask(fleet, ["inspect", "active"], worker: name)[name]?.arrayValue?.first
        return running != nil
      })
    #expect(running?["id"]?.stringValue == id && running?["name"] == "tasks.sleep")
    let pid = Int32(clamping: running?["worker_pid"]?.intValue ?? -1)
    #expect(worker.childPIDs().contains(pid), "\(String(describing: running))")
    let human = try fleet.run(["inspect", "active", "-d", name, "--timeout", Self.replyTimeout])
    #expect(human.stdout.contains("* \(id) tasks.sleep child pid \(pid)"), "\(human.stdout)")

    let stats = try Self.ask(fleet, ["inspect", "stats"], worker: name)[name]
    #expect(stats?["pid"]?.intValue == Int64(worker.pid))
    #expect(stats?["pool"]?["processes"]?.arrayValue?.count == 2)
    #expect(stats?["total"] == ["tasks.sleep": 1], "Celery's shape: tasks accepted by name")
    let registered = try Self.ask(fleet, ["inspect", "registered"], worker: name)[name]
    #expect(registered?.arrayValue?.contains("tasks.sleep") == true)
    let queues = try Self.ask(fleet, ["inspect", "active_queues"], worker: name)[name]
    #expect(queues?.arrayValue?.first?["name"] == "celery")
    #expect(try Self.ask(fleet, ["inspect", "reserved"], worker: name)[name] == [])

    let revoke = try fleet.run([
      "control", "revoke", id, "--terminate", "--signal", "KILL", "-d", name, "--timeout",
      Self.replyTimeout,
    ])
    #expect(revoke.status == 0 && revoke.stdout.contains("flagged as revoked"), "\(revoke.stdout)")
    let record = try fleet.run(["result", id, "--wait", "--timeout", "20"])
    #expect(record.stdout.hasPrefix("REVOKED"), "\(record.stdout)\(record.stderr)\n\(worker.log)")

    let grow = try Self.ask(fleet, ["control", "pool-grow", "1"], worker: name)[name]
    #expect(grow == ["ok": "pool will grow"])
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        try Self.ask(fleet, ["inspect", "stats"], worker: name)[name]?["pool"]?["processes"]?
          .arrayValue?.count == 3
      })

    let notScaling = try Self.ask(fleet, ["control", "autoscale", "3", "1"], worker: name)[name]
    #expect(notScaling == ["error": "ValueError('Autoscale not enabled')"])

    // A worker nobody runs: nothing answers, the exit status says so.
    let nobody = try fleet.run(["inspect", "ping", "-d", "nobody@nowhere", "--timeout", "0.3"])
    #expect(nobody.status == 69 && nobody.stderr.contains("no worker replied"))

    let shutdown = try fleet.run([
      "control", "shutdown", "-d", name, "--timeout", Self.replyTimeout,
    ])
    #expect(shutdown.stdout.contains("shutting down"), "\(shutdown.stdout)")
    await #expect(try worker.waitForExit() == 0)
    // The summary (no verb) still reads the broker.
    let summary = try fleet.run(["inspect", "-Q", "celery"])
    #expect(
      summary.status == 0 && summary.stdout.contains("celery: 0 waiting"), "\(summary.stdout)")
  }

  @Test(
    "revoked, query_task, scheduled, rate_limit, autoscale, add_consumer/cancel_consumer with Celery's replies",
    arguments: FleetBroker.allCases)
  func moreVerbs(_ kind: FleetBroker) async throws {
    let fleet = try await FleetSandbox(kind)
    let name = "celeriac@verbs-\(kind)"
    let worker = try await fleet.worker(["--autoscale", "3,1", "-n", name])

    let revoke = try Self.ask(fleet, ["control", "revoke", "gone-1"], worker: name)[name]
    #expect(revoke == ["ok": "tasks {'gone-1'} flagged as revoked"])
    #expect(try Self.ask(fleet, ["inspect", "revoked"], worker: name)[name] == ["gone-1"])
    #expect(try Self.ask(fleet, ["inspect", "scheduled"], worker: name)[name] == [])

    let id = try fleet.run(["send", "tasks.sleep", "30"]).stdout.trimmingCharacters(
      in: .whitespacesAndNewlines)
    var state: JSONValue?
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        state = try Self.ask(fleet, ["inspect", "query_task", id, "nope"], worker: name)[name]
        return state?[id] != nil
      })
    #expect(state?[id]?.arrayValue?.first == "active", "\(String(describing: state))")
    #expect(state?[id]?.arrayValue?.last?["name"] == "tasks.sleep" && state?["nope"] == nil)

    let unknown = try Self.ask(fleet, ["control", "rate_limit", "tasks.nope", "1/s"], worker: name)
    #expect(unknown[name] == ["error": "unknown task"])
    let limited = try Self.ask(fleet, ["control", "rate_limit", "tasks.add", "10/m"], worker: name)
    #expect(limited[name] == ["ok": "new rate limit set successfully"])

    let scaled = try Self.ask(fleet, ["control", "autoscale", "4", "2"], worker: name)[name]
    #expect(scaled == ["ok": "autoscale now max=4 min=2"])
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        try Self.ask(fleet, ["inspect", "stats"], worker: name)[name]?["pool"]?["processes"]?
          .arrayValue?.count ?? 0 >= 2
      })

    let added = try Self.ask(fleet, ["control", "add_consumer", "extra"], worker: name)[name]
    #expect(added == ["ok": "add consumer extra"])
    let queues = try Self.ask(fleet, ["inspect", "active_queues"], worker: name)[name]
    #expect(queues?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["celery", "extra"])
    let extra = try fleet.run(["send", "tasks.add", "1", "2", "--queue", "extra", "--wait"])
    #expect(extra.stdout == "3\n", "\(extra.stderr)")
    let cancelled = try Self.ask(fleet, ["control", "cancel-consumer", "extra"], worker: name)[name]
    #expect(cancelled == ["ok": "no longer consuming from extra"])
    let after = try Self.ask(fleet, ["inspect", "active-queues"], worker: name)[name]
    #expect(after?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["celery"])
    _ = try fleet.run(["send", "tasks.add", "2", "2", "--queue", "extra"])
    let depth = try fleet.connection().broker.depths(of: ["extra"])["extra"]
    #expect(depth == 1)

    _ = try Self.ask(fleet, ["control", "revoke", id, "--terminate"], worker: name)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test(
    "A mixed fleet on Redis: celeriac inspect hears Python workers, celery inspect hears Celeriac")
  func mixedFleet() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "1", "-n", "celeriac@mixed"])
    let python = try await PythonWorkerProcess(sandbox: redis)
    let pythonName = "py@" + ProcessInfo.processInfo.hostName
    var names: [String] = []
    #expect(
      try await waitUntil(timeout: .seconds(30)) {
        let ping = try redis.run(["inspect", "ping", "--json", "--timeout", "2"])
        let replies = try? JSONCoding.decode([String: JSONValue].self, from: ping.stdout)
        names = (replies ?? [:]).keys.sorted()
        return names.count == 2
      })
    #expect(names.contains("celeriac@mixed") && names.contains { $0.hasPrefix("py@") }, "\(names)")
    let registered = try redis.run([
      "inspect", "registered", "-d", pythonName, "--timeout", Self.replyTimeout,
    ])
    #expect(registered.stdout.contains("* tasks.add"), "\(registered.stdout)\(python.log)")

    func celery(_ arguments: [String]) throws -> JSONValue? {
      let result = try runProcess(
        PythonVenv.celery,
        ["-A", "celery_tasks"] + arguments + ["--json", "-d", "celeriac@mixed", "--timeout", "3"],
        directory: PythonVenv.interop,
        environment: [
          "CELERIAC_INTEROP_BROKER": redis.brokerURL, "CELERIAC_INTEROP_BACKEND": redis.backendURL,
        ])
      #expect(result.status == 0, "\(arguments): \(result.stdout)\(result.stderr)")
      return try? JSONCoding.decode(JSONValue.self, from: result.stdout)
    }
    #expect(
      try celery(["control", "revoke", "gone-2"])
        == [["celeriac@mixed": ["ok": "tasks {'gone-2'} flagged as revoked"]]])
    #expect(try celery(["inspect", "revoked"]) == ["celeriac@mixed": ["gone-2"]])
    #expect(try celery(["inspect", "query_task", "gone-2"]) == ["celeriac@mixed": [:]])
    #expect(
      try celery(["control", "add_consumer", "more"])
        == [["celeriac@mixed": ["ok": "add consumer more"]]])
    let queues = try celery(["inspect", "active_queues"])?["celeriac@mixed"]?.arrayValue
    #expect(queues?.compactMap { $0["name"]?.stringValue } == ["celery", "more"])
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("Flower's HTTP API lists a Celeriac worker (-E) and the tasks it ran")
  func flower() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "1", "-E", "-n", "celeriac@flower"])
    let flower = try await FlowerProcess(sandbox: redis)
    var workers: [String: JSONValue] = [:]
    #expect(
      try await waitUntil(timeout: .seconds(30)) {
        let body = try flower.get("/api/workers?refresh=1") ?? "{}"
        workers = (try? JSONCoding.decode([String: JSONValue].self, from: body)) ?? [:]
        return workers["celeriac@flower"]?["stats"] != nil
      }, "\(workers)\n\(flower.log)")
    let described = workers["celeriac@flower"]
    #expect(described?["registered"]?.arrayValue?.contains("tasks.add") == true)
    #expect(described?["active_queues"]?.arrayValue?.first?["name"] == "celery")
    #expect(described?["stats"]?["pid"]?.intValue == Int64(worker.pid))

    let added = try redis.run(["send", "tasks.add", "20", "22", "--wait"])
    #expect(added.stdout == "42\n")
    let failed = try redis.run(["send", "tasks.fail", "boom"]).stdout.trimmingCharacters(
      in: .whitespacesAndNewlines)
    var tasks: [String: JSONValue] = [:]
    #expect(
      try await waitUntil(timeout: .seconds(30)) {
        let body = try flower.get("/api/tasks") ?? "{}"
        tasks = (try? JSONCoding.decode([String: JSONValue].self, from: body)) ?? [:]
        return tasks.values.contains { $0["state"] == "SUCCESS" }
          && tasks[failed]?["state"] == "FAILURE"
      }, "\(tasks)\n\(flower.log)")
    let succeeded = tasks.values.first { $0["name"] == "tasks.add" }
    #expect(succeeded?["worker"] == "celeriac@flower" && succeeded?["result"] == "42")
    #expect(tasks[failed]?["exception"]?.stringValue?.contains("boom") == true)
    let status = try flower.get("/api/workers?status=1") ?? ""
    #expect(status.contains(#""celeriac@flower": true"#), "\(status)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("garbage in the SQLite control mailbox is skipped; the worker keeps answering")
  func hostileMailbox() async throws {
    let fleet = try await FleetSandbox(.sqlite)
    let name = "celeriac@mailbox"
    let worker = try await fleet.worker(["-c", "1", "-n", name])
    let rows = [
      "'not json'", "'[]'", #"'{"method": 5}'"#, #"'{"method": "ping"}'"#,
      #"'{"method": "", "ticket": "t"}'"#,
      #"'{"method": "pool_grow", "ticket": "t", "arguments": {"n": 1e308}}'"#,
      #"'{"method": "revoke", "ticket": "t", "arguments": {"task_id": {"x": 1}}}'"#,
      #"'{"method": "no_such", "ticket": "t", "destination": 7}'"#,
    ]
    let values = rows.map { "(\($0), 1e12)" }.joined(separator: ", ")
    let insert = try runProcess(
      "/usr/bin/sqlite3",
      [
        fleet.directory + "/celeriac.db",
        "INSERT INTO control_requests (request, expires) VALUES \(values);",
      ],
      directory: fleet.directory)
    #expect(insert.status == 0, "\(insert.stderr)")
    let ping = try fleet.run(["inspect", "ping", "-d", name, "--timeout", Self.replyTimeout])
    #expect(ping.status == 0 && ping.stdout.contains("pong"), "\(ping.stdout)\(ping.stderr)")
    #expect(worker.process.isRunning)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("bad flags fail with one line and no request sent")
  func badFlags() async throws {
    let fleet = try await FleetSandbox(.sqlite)
    for arguments in [
      ["inspect", "ping", "--timeout", "0"], ["inspect", "ping", "--timeout", "nan"],
      ["inspect", "ping", "-d", " , "], ["control", "pool-grow", "0"],
      ["control", "revoke", "x", "--terminate", "--signal", "HUP"],
      ["dead-letters", "show", "'; DROP TABLE"], ["dead-letters", "list", "--limit", "0"],
      ["control", "autoscale", "1", "4"],
    ] {
      let result = try fleet.run(arguments)
      #expect(result.status != 0 && !result.stderr.isEmpty, "\(arguments): \(result.stdout)")
    }
  }

  @Test(
    "dead-letters list, show, replay (the message unchanged), purge",
    arguments: FleetBroker.allCases)
  func deadLetters(_ kind: FleetBroker) async throws {
    let fleet = try await FleetSandbox(kind)
    let worker = try await fleet.worker(["-c", "1"])
    let sent = try fleet.run(["send", "tasks.nope", "1"])
    let id = sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let broker = try fleet.connection().broker
    #expect(
      try await waitUntil(timeout: .seconds(20)) { try broker.deadLetters(limit: 5).count == 1 })
    let entry = try #require(try broker.deadLetters(limit: 5).first)
    let entryID = try #require(entry.id)
    #expect(entry.taskID == id && entry.reason.contains("not registered"))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)

    let list = try fleet.run(["dead-letters", "list"])
    #expect(list.stdout.hasPrefix(entryID) && list.stdout.contains("task \(id)"), "\(list.stdout)")
    let listed = try fleet.run(["dead-letters", "list", "--json"])
    let object = try JSONCoding.decode(JSONValue.self, from: listed.stdout)
    #expect(object["id"]?.stringValue == entryID && object["task_id"]?.stringValue == id)
    let show = try fleet.run(["dead-letters", "show", entryID, "--json"])
    let shown = try JSONCoding.decode(JSONValue.self, from: show.stdout)
    #expect(shown["payload"]?.stringValue == entry.payload, "\(show.stdout)\(show.stderr)")
    let missing = try fleet.run(["dead-letters", "show", "123456789"])
    #expect(missing.status == 2 && missing.stderr.contains("no dead letter"))

    let replay = try fleet.run(["dead-letters", "replay", entryID])
    #expect(replay.status == 0 && replay.stdout == "replayed \(entryID)\n", "\(replay.stderr)")
    #expect(try fleet.storedMessages() == [entry.payload])
    #expect(try broker.deadLetters(limit: 5).isEmpty)
    let again = try fleet.run(["dead-letters", "replay", entryID])
    #expect(again.status == 2 && again.stderr.contains(entryID))

    // The replayed message is a task again: a worker claims it (and dead-letters it again).
    let second = try await fleet.worker(["-c", "1"])
    #expect(
      try await waitUntil(timeout: .seconds(20)) { try broker.deadLetters(limit: 5).count == 1 })
    #expect(try broker.deadLetters(limit: 5).first?.taskID == id)
    second.signal(SIGTERM)
    await #expect(try second.waitForExit() == 0)
    let purge = try fleet.run(["dead-letters", "purge"])
    #expect(purge.stdout == "purged 1 dead letters\n", "\(purge.stdout)\(purge.stderr)")
    #expect(try fleet.run(["dead-letters", "list"]).stdout == "no dead letters\n")
  }
}
