import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The JSON lines a Python helper printed, by their `check` name.
func checks(_ output: String) throws -> [String: [String: JSONValue]] {
  var result: [String: [String: JSONValue]] = [:]
  for line in output.split(separator: "\n") {
    guard case .object(let fields) = try JSONCoding.decode(JSONValue.self, from: String(line)),
      let name = fields["check"]?.stringValue
    else { continue }
    result[name] = fields
  }
  return result
}

/// The real `celeriac` binary on a real redis-server: Swift and CLI producers, Python Celery on
/// either side, and the failures a broker must survive.
@Suite("Worker on the Redis broker", .serialized, .machineSlot)
struct RedisIntegrationTests {
  @Test("CLI round trip: send --wait, send + result --wait, a failure, inspect")
  func commandLineRoundTrip() async throws {
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "2"])
    let waited = try redis.run(["send", "tasks.add", "2", "3", "--wait"])
    #expect(waited.status == 0 && waited.stdout == "5\n", "\(waited.stderr)")
    let sent = try redis.run(["send", "tasks.add", "--kwargs", #"{"x": 40, "y": 2}"#])
    let id = sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let result = try redis.run(["result", id, "--wait", "--timeout", "10"])
    #expect(result.stdout == "SUCCESS 42\n")
    let failed = try redis.run(["send", "tasks.fail", "boom", "--wait"])
    #expect(failed.status == 1 && failed.stderr.contains("ValueError: boom"))
    // Stored the way Celery stores it, on db 1, with a TTL.
    let stored = try redis.server.command(["GET", "celery-task-meta-\(id)"], database: 1)
    #expect(stored.hasPrefix(#"{"status": "SUCCESS", "result": 42, "traceback": null"#))
    let ttl = Int(try redis.server.command(["TTL", "celery-task-meta-\(id)"], database: 1)) ?? 0
    #expect(ttl > 86_000)
    let inspect = try redis.run(["inspect"])
    #expect(inspect.status == 0 && inspect.stdout.contains("celeriac@"), "\(inspect.stdout)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
    #expect(try redis.server.command(["LLEN", "celery"]) == "0")
  }

  @Test("Swift API round trip: app.send(...).get() and a batch")
  func swiftRoundTrip() async throws {
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "2"])
    let app = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: redis.brokerURL, backendURL: redis.backendURL)
    )
    let result = try await app.send("tasks.add", args: [2, 3])
    #expect(try await result.get(timeout: .seconds(10)) == 5)
    let batch = try await app.sendBatch(
      (0..<50).map { app.makeMessage("tasks.add", args: [.int($0), 1]) })
    for (index, handle) in batch.enumerated() {
      #expect(try await handle.get(timeout: .seconds(20)) == .int(Int64(index) + 1))
    }
    let countdown = try await app.send(
      "tasks.add", args: [1, 1], options: SendOptions(countdown: .milliseconds(500)))
    #expect(try await countdown.get(timeout: .seconds(10)) == 2)
    await #expect(throws: TaskFailure.self) {
      _ = try await app.send("tasks.fail", args: ["x"]).get(timeout: .seconds(10))
    }
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("A stock Python Celery client: args, kwargs, countdown, failures raise in Python")
  func pythonClientToCeleriacWorker() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "2"])
    let output = try runProcess(
      PythonVenv.python,
      [PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "roundtrip"],
      directory: redis.directory)
    #expect(output.status == 0, "\(output.stderr)")
    let results = try checks(output.stdout)
    #expect(results["add_args"]?["value"] == 5, "\(output.stdout)")
    #expect(results["add_kwargs"]?["value"] == 42)
    #expect(results["fail"]?["exc_type"] == "ValueError")
    #expect(results["fail"]?["exc_module"] == "builtins")
    #expect(results["fail"]?["message"] == "boom")
    #expect(results["unregistered"]?["exc_type"] == "NotRegistered")
    #expect(results["unregistered"]?["exc_module"] == "celery.exceptions")
    #expect(results["bad_arguments"]?["exc_type"] == "TypeError")
    #expect(results["countdown"]?["value"] == 3)
    #expect((results["countdown"]?["elapsed"]?.doubleValue ?? 0) >= 0.9)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test(
    "Python canvas on a Celeriac worker: chains, link, link_error and a chord run")
  func pythonWorkflowsOnCeleriacWorker() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "2"])
    let output = try runProcess(
      PythonVenv.python,
      [PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "workflow"],
      directory: redis.directory)
    #expect(output.status == 0, "\(output.stderr)")
    let results = try checks(output.stdout)
    #expect(results["chain2"]?["value"] == 6, "\(output.stdout)")
    #expect(results["chain3"]?["value"] == 10 && results["chain3"]?["parent"] == 6)
    #expect(results["link"]?["value"] == 4)
    #expect(results["link"]?["callback"] == .object(["value": 14]))
    #expect(results["link_error"]?["exc_type"] == "ValueError")
    #expect(results["link_error"]?["errback"] == .object(["value": 10]))
    // Chords run too: [1 + 1, 2 + 2] summed by tasks.xsum.
    #expect(results["chord"]?["value"] == 6, "\(output.stdout)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test(
    "Celery's remote control: ping, registered, active, stats, pool_grow, rate_limit, revoke --terminate"
  )
  func pythonRemoteControl() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "1", "-n", "celeriac@remote"])
    let output = try runProcess(
      PythonVenv.python,
      [PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "control"],
      directory: redis.directory)
    #expect(output.status == 0, "\(output.stderr)")
    let results = try checks(output.stdout)
    #expect(results["ping"]?["value"] == ["celeriac@remote": ["ok": "pong"]], "\(output.stdout)")
    let registered = results["registered"]?["value"]?["celeriac@remote"]?.arrayValue ?? []
    #expect(registered.contains("tasks.add") && registered.contains("tasks.sleep"))
    let active = results["active"]?["value"]?["celeriac@remote"]?.arrayValue ?? []
    #expect(active.first?["id"] == results["active"]?["id"], "\(output.stdout)")
    #expect(active.first?["name"] == "tasks.sleep" && active.first?["worker_pid"]?.intValue != nil)
    #expect(results["stats"]?["value"]?["celeriac@remote"]?["pool"]?["processes"] != nil)
    #expect(
      results["pool_grow"]?["value"] == [["celeriac@remote": ["ok": "pool will grow"]]],
      "\(output.stdout)")
    #expect(
      results["rate_limit"]?["value"]
        == [["celeriac@remote": ["ok": "new rate limit set successfully"]]], "\(output.stdout)")
    #expect(
      results["rate_limit_off"]?["value"]
        == [["celeriac@remote": ["ok": "rate limit disabled successfully"]]], "\(output.stdout)")
    #expect(results["revoke"]?["state"] == "REVOKED", "\(output.stdout)\n\(worker.log)")
    // The CLI, as an operator types it.
    let ping = try runProcess(
      PythonVenv.celery, ["-A", "celery_tasks", "inspect", "ping", "--timeout", "2"],
      directory: PythonVenv.interop,
      environment: [
        "CELERIAC_INTEROP_BROKER": redis.brokerURL, "CELERIAC_INTEROP_BACKEND": redis.backendURL,
      ])
    #expect(
      ping.stdout.contains("celeriac@remote: OK") && ping.stdout.contains("pong"),
      "\(ping.stdout)\(ping.stderr)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("With -E a Celeriac worker sends Celery's events; Python's event receiver reads them")
  func pythonEventReceiver() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "1", "-E", "-n", "celeriac@events"])
    let output = try runProcess(
      PythonVenv.python,
      [PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "events"],
      directory: redis.directory)
    #expect(output.status == 0, "\(output.stderr)")
    let seen = try checks(output.stdout)["events"] ?? [:]
    let types = seen["types"]?.arrayValue ?? []
    for type in [
      "worker-heartbeat", "task-received", "task-started", "task-succeeded", "task-failed",
    ] {
      #expect(types.contains(.string(type)), "\(type) missing: \(output.stdout)")
    }
    #expect(seen["hostnames"] == ["celeriac@events"] && seen["result"] == "5")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("Failures whose type Python does not know still raise a sensible exception")
  func unknownExceptionTypesInPython() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let backend = try redis.connection().backend
    let failures = [
      "swift": TaskFailure(type: "DecodingError", message: "bad input", module: "celeriac"),
      "notBuiltin": TaskFailure(type: "print", message: "not an exception"),
      "celery": TaskFailure(
        type: "TimeLimitExceeded", message: "60", module: TaskFailure.celeryExceptionsModule),
      "lost": TaskFailure.lostWorker("child 1 killed by SIGKILL"),
    ]
    for (id, failure) in failures {
      try backend.store(
        [TaskResultRecord(taskID: id, state: .failure, failure: failure)], expiresIn: .seconds(60))
    }
    for (id, failure) in failures {
      let output = try runProcess(
        PythonVenv.python,
        [PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "get", id],
        directory: redis.directory)
      let seen = try checks(output.stdout)["get"] ?? [:]
      #expect(seen["exc_type"] == .string(failure.type), "\(id): \(output.stdout)\(output.stderr)")
      #expect(seen["is_exception"] == true, "\(id)")
      #expect(seen["message"]?.stringValue?.contains(failure.message) == true, "\(id)")
    }
  }

  @Test("A Celeriac producer and a Python Celery worker; celeriac result reads its results")
  func celeriacProducerToPythonWorker() async throws {
    let redis = try await RedisSandbox()
    let worker = try await PythonWorkerProcess(sandbox: redis)
    let sent = try redis.run(["send", "tasks.add", "2", "3"])
    let id = sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(sent.status == 0 && !id.isEmpty, "\(sent.stderr)")
    let result = try redis.run(["result", id, "--wait", "--timeout", "20"])
    #expect(result.stdout == "SUCCESS 5\n", "\(result.stderr)\n\(worker.log)")
    let kwargs = try redis.run(["send", "tasks.add", "--kwargs", #"{"x": 1, "y": 2}"#, "--wait"])
    #expect(kwargs.stdout == "3\n", "\(kwargs.stderr)")
    let failed = try redis.run(["send", "tasks.fail", "boom", "--wait", "--timeout", "20"])
    #expect(failed.status == 1 && failed.stderr.contains("ValueError: boom"), "\(failed.stderr)")
    #expect(worker.log.contains("Task tasks.add[\(id)] succeeded"))
  }

  @Test("Supervisor SIGKILLed mid-burst: a new supervisor runs every task at least once")
  func supervisorKilledMidBurst() async throws {
    let redis = try await RedisSandbox()
    let runs = redis.directory + "/runs.txt"
    let first = try await redis.worker(["-c", "2", "--lease", "2"])
    let children = ProcessTable.children(of: first.pid)
    let app = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: redis.brokerURL, backendURL: redis.backendURL)
    )
    let messages = (0..<200).map { _ in
      app.makeMessage("tasks.record", args: [.string(runs), 0.01])
    }
    _ = try await app.sendBatch(messages)
    #expect(try await waitUntil(timeout: .seconds(30)) { recordedRuns(runs).count >= 30 })
    first.signal(SIGKILL)
    _ = try await first.waitForExit()
    #expect(
      try await waitUntil(timeout: .seconds(10)) { !children.contains(where: ProcessTable.isAlive) }
    )
    let doneBeforeRestart = recordedRuns(runs).count
    #expect(doneBeforeRestart < 200, "the burst finished before the kill")
    let second = try await redis.worker(["-c", "2", "--lease", "2"])
    let allRan = try await waitUntil(timeout: .seconds(60)) { recordedRuns(runs).count == 200 }
    #expect(allRan, "\(recordedRuns(runs).count) of 200 ran:\n\(second.log)")
    let ran = recordedRuns(runs)
    #expect(Set(ran.keys) == Set(messages.map(\.id)))
    let backend = try redis.connection().backend
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        try messages.allSatisfy { try backend.result(for: $0.id)?.state == .success }
      })
    #expect(second.log.contains("returned") && second.log.contains("lost worker"))
    second.signal(SIGTERM)
    await #expect(try second.waitForExit() == 0)
    #expect(try redis.server.command(["KEYS", "celeriac.processing.*"]) == "")
  }

  @Test("Redis restarted mid-burst (appendonly): no task lost")
  func redisRestartMidBurst() async throws {
    let redis = try await RedisSandbox(appendOnly: true)
    let runs = redis.directory + "/runs.txt"
    let worker = try await redis.worker(["-c", "2"])
    let app = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: redis.brokerURL, backendURL: redis.backendURL)
    )
    let messages = (0..<300).map { _ in
      app.makeMessage("tasks.record", args: [.string(runs), 0.01])
    }
    _ = try await app.sendBatch(messages)
    #expect(try await waitUntil(timeout: .seconds(30)) { recordedRuns(runs).count >= 40 })
    let outages = {
      worker.log.components(separatedBy: "brokerUnavailable").count
        + worker.log.components(separatedBy: "failed").count
    }
    let outagesBefore = outages()
    redis.server.stop()
    // The outage is what this test is about: Redis stays down until the worker has run into it.
    #expect(try await waitUntil(timeout: .seconds(20)) { outages() > outagesBefore })
    try await redis.server.start()
    let allRan = try await waitUntil(timeout: .seconds(60)) { recordedRuns(runs).count == 300 }
    #expect(allRan, "\(recordedRuns(runs).count) of 300 ran:\n\(worker.log.suffix(3_000))")
    let backend = try redis.connection().backend
    #expect(
      try await waitUntil(timeout: .seconds(30)) {
        try messages.allSatisfy { try backend.result(for: $0.id)?.state == .success }
      })
    #expect(worker.log.contains("brokerUnavailable") || worker.log.contains("failed"))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
    #expect(try redis.server.command(["LLEN", "celery"]) == "0")
    #expect(try redis.server.command(["KEYS", "celeriac.processing.*"]) == "")
  }

  @Test("A malformed message pushed raw lands in dead-letter; the worker keeps serving")
  func malformedMessageToDeadLetter() async throws {
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "1"])
    try redis.server.command(["LPUSH", "celery", "{this is not json"])
    let pickled =
      #"{"body": "gAR9lC4=", "content-type": "application/x-python-serialize", "content-encoding": "binary", "headers": {"task": "tasks.add", "id": "pickled-task"}, "properties": {"body_encoding": "base64", "delivery_info": {"exchange": "", "routing_key": "celery"}}}"#
    try redis.server.command(["LPUSH", "celery", pickled])
    #expect(
      try await waitUntil(timeout: .seconds(10)) {
        try redis.server.command(["LLEN", "celeriac.dead_letter"]) == "2"
      })
    let backend = try redis.connection().backend
    let record = try #require(
      try await waitForValue(timeout: .seconds(10)) { try backend.result(for: "pickled-task") })
    #expect(record.state == .failure && record.failure?.type == "ContentDisallowed")
    let inspect = try redis.run(["inspect"])
    #expect(inspect.stdout.contains("pickle is never deserialized"), "\(inspect.stdout)")
    let waited = try redis.run(["send", "tasks.add", "1", "1", "--wait"])
    #expect(waited.stdout == "2\n")
    #expect(worker.log.contains("dead-lettered"))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("A broker URL that does not answer: one clear line and a non-zero exit")
  func unreachableBroker() throws {
    let sandbox = try Sandbox()
    let port = try RedisTestServer.freePort()
    let url = "redis://:secret@127.0.0.1:\(port)/0"
    let sent = try runProcess(
      CeleriacBinary.path, ["send", "tasks.add", "1", "2", "--broker", url],
      directory: sandbox.directory)
    #expect(sent.status != 0)
    #expect(sent.stderr.contains("127.0.0.1:\(port)") && !sent.stderr.contains("secret"))
    let worker = try runProcess(
      CeleriacBinary.path, ["worker", "--broker", url, "--broker-startup-timeout", "1"],
      directory: sandbox.directory)
    #expect(worker.status == 5, "\(worker.stderr)")
    #expect(worker.stderr.contains("waiting for the broker") && !worker.stderr.contains("secret"))
  }
}
