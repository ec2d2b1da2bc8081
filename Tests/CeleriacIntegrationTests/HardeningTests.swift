import Celeriac
import CeleriacRedis
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// No message, flag or peer can crash, stall or leak the worker: hostile numbers, a thousand
/// mutated messages on each broker, Celery workflow messages, and memory over many tasks.
@Suite("Hardening", .serialized, .machineSlot)
struct HardeningTests {
  static let hostileCommands: [[String]] = [
    ["send", "tasks.add", "1", "2", "--countdown", "1e20"],
    ["send", "tasks.add", "1", "2", "--countdown", "nan"],
    ["send", "tasks.add", "1", "2", "--countdown", "-1"],
    ["send", "tasks.add", "1", "2", "--expires", "inf"],
    ["send", "tasks.add", "1", "2", "--wait", "--timeout", "1e300"],
    ["send", "tasks.add", "--count", "0"],
    ["result", "some-id", "--wait", "--timeout", "nan"],
    ["worker", "--time-limit", "nan"],
    ["worker", "--soft-time-limit", "1e13"],
    ["worker", "--lease", "inf"],
    ["worker", "--heartbeat-interval", "-2"],
    ["worker", "--concurrency", "100000"],
    ["worker", "--autoscale", "100000,1"],
    ["worker", "--prefetch-multiplier", "9999999"],
  ]

  @Test(
    "Out-of-range numbers on the command line: one line naming the flag, a non-zero exit",
    arguments: hostileCommands)
  func hostileFlags(_ arguments: [String]) throws {
    let sandbox = try Sandbox()
    let result = try sandbox.run(arguments)
    #expect(result.status != 0, "\(arguments) exited 0: \(result.stdout)")
    // Exit 1 or 64 (usage); a trap would be a signal (status 132 or 133 from a shell).
    #expect(result.status < 100, "\(arguments) trapped: \(result.stderr)")
    // The flag given the hostile value: the last one (`--wait --timeout 1e300`).
    let flag = arguments.last { $0.hasPrefix("--") } ?? ""
    #expect(result.stderr.contains(flag), "\(arguments): \(result.stderr)")
  }

  /// `celeriac worker …` is parsed by the worker's command alone when it can be (a faster
  /// start); what that refuses must still read as the whole command line's parser words it.
  @Test("worker --help and an unknown worker flag read as the root command words them")
  func workerHelpAndUnknownFlag() throws {
    let sandbox = try Sandbox()
    let help = try sandbox.run(["worker", "--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("USAGE: celeriac worker"), "\(help.stdout)")
    let unknown = try sandbox.run(["worker", "--no-such-flag"])
    #expect(unknown.status == 64)
    #expect(unknown.stderr.contains("Unknown option '--no-such-flag'"), "\(unknown.stderr)")
    #expect(unknown.stderr.contains("celeriac worker"), "\(unknown.stderr)")
  }

  @Test("A stored message with a hostile time limit is dead-lettered with its reason")
  func hostileStoredMessage() async throws {
    let sandbox = try Sandbox()
    _ = try sandbox.connection()
    var message = TaskMessage(id: "poison-1", name: "tasks.add", args: [1, 2])
    message.timeLimit.hard = 1
    let payload = try JSONCoding.encodeString(message)
      .replacingOccurrences(of: #""hard":1"#, with: #""hard":1e13"#)
    #expect(payload.contains("1e13"))
    try SQLiteRows.insert([(message.id, payload)], into: sandbox.databasePath)
    let worker = try await WorkerProcess(sandbox: sandbox)
    let record = try await sandbox.waitForRecord("poison-1")
    #expect(record?.state == .failure, "\(worker.log)")
    #expect(record?.failure?.message.contains("hard time limit must be") == true)
    let dead = try sandbox.connection().broker.deadLetters(limit: 5)
    #expect(dead.first?.taskID == "poison-1")
    let next = try sandbox.send("tasks.add", [1, 2])
    let depth = try sandbox.connection().broker.depths(of: ["celery"])
    await #expect(
      try sandbox.waitForRecord(next)?.result == 3,
      "depth \(depth): \(worker.log.suffix(3_000))")
    #expect(worker.process.isRunning)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("A stored message that is valid JSON spread over lines runs (it would split the run line)")
  func multiLineStoredMessage() async throws {
    let sandbox = try Sandbox()
    _ = try sandbox.connection()
    let message = TaskMessage(id: "multi-line-1", name: "tasks.add", args: [20, 22])
    let payload = try JSONCoding.encodeString(message).replacingOccurrences(of: ",", with: ",\n ")
    #expect(payload.contains("\n"))
    try SQLiteRows.insert([(message.id, payload)], into: sandbox.databasePath)
    let worker = try await WorkerProcess(sandbox: sandbox)
    let record = try await sandbox.waitForRecord("multi-line-1")
    #expect(record?.state == .success && record?.result == 42, "\(worker.log.suffix(3_000))")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("A thousand mutated messages on SQLite: each ends as a result or a dead letter")
  func mutatedMessagesOnSQLite() async throws {
    let sandbox = try Sandbox()
    _ = try sandbox.connection()
    var mutator = MessageMutator(seed: hostileSeed)
    let base = TaskMessage(name: "tasks.add", args: [1, 2], timeLimit: TimeLimits(hard: 30))
    let rows = (0..<1_000).map { _ in mutator.mutateStored(base) }
    try SQLiteRows.insert(rows.map { ($0.id, $0.json) }, into: sandbox.databasePath)
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2"])
    let connection = try sandbox.connection()
    let ids = Set(rows.map(\.id))
    var accounted: Set<String> = []
    let done = try await waitUntil(timeout: .seconds(90)) {
      let dead = try connection.broker.deadLetters(limit: 5_000).compactMap(\.taskID)
      accounted = Set(dead).union(
        try ids.filter { try connection.backend.result(for: $0)?.state.isReady == true })
      return accounted.count == ids.count || !worker.process.isRunning
    }
    #expect(done && accounted.count == ids.count, "seed \(hostileSeed): \(accounted.count)")
    #expect(try connection.broker.depths(of: ["celery"])["celery"] == 0)
    #expect(worker.process.isRunning, "the supervisor died:\n\(worker.log.suffix(2_000))")
    await #expect(try sandbox.waitForRecord(try sandbox.send("tasks.add", [2, 2]))?.result == 4)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("A thousand mutated Celery messages on Redis: each ends as a result or a dead letter")
  func mutatedMessagesOnRedis() async throws {
    let redis = try await RedisSandbox()
    var mutator = MessageMutator(seed: hostileSeed &+ 7)
    let base = CeleryProtocol.encodeForTests(
      TaskMessage(name: "tasks.add", args: [1, 2], timeLimit: TimeLimits(hard: 30)))
    let messages: [(id: String, raw: String)] = (0..<1_000).map { _ in mutator.mutateCelery(base) }
    try redis.server.pipe(messages.map { ["LPUSH", "celery", $0.raw] })
    let worker = try await redis.worker(["-c", "2"])
    let connection = try redis.connection()
    let ids = Set(messages.map(\.id))
    var summary = ""
    let done = try await waitUntil(timeout: .seconds(90)) {
      let dead = try connection.broker.deadLetters(limit: 5_000)
      let resultIDs = try redis.server.command(["KEYS", "celery-task-meta-*"], database: 1)
        .split(separator: "\n").map { String($0.dropFirst("celery-task-meta-".count)) }
      let finished = Set(resultIDs).union(dead.compactMap(\.taskID))
      let anonymous = dead.filter { $0.taskID.map { !ids.contains($0) } ?? true }.count
      let strangers = Set(resultIDs).subtracting(ids).subtracting(dead.compactMap(\.taskID)).count
      let known = finished.intersection(ids).count
      summary = "\(known) known, \(anonymous) anonymous dead letters, \(strangers) renamed"
      return known + anonymous + strangers >= ids.count || !worker.process.isRunning
    }
    #expect(done, "seed \(hostileSeed &+ 7): \(summary)")
    #expect(try redis.server.command(["LLEN", "celery"]) == "0")
    #expect(worker.process.isRunning, "the supervisor died:\n\(worker.log.suffix(2_000))")
    let check = try redis.run(["send", "tasks.add", "2", "2", "--wait"])
    #expect(check.stdout == "4\n", "\(check.stderr)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("The poison pill: timelimit [1e13, null] from a Celery producer fails that task only")
  func poisonPillOnRedis() async throws {
    let redis = try await RedisSandbox()
    var message = TaskMessage(id: "poison-redis", name: "tasks.add", args: [1, 2])
    message.timeLimit.hard = 1
    let raw = CeleryProtocol.encodeForTests(message)
      .replacingOccurrences(of: #""timelimit": [1, null]"#, with: #""timelimit": [1e13, null]"#)
    #expect(raw.contains("1e13"))
    try redis.server.pipe([["LPUSH", "celery", raw]])
    let worker = try await redis.worker(["-c", "1"])
    let result = try redis.run(["result", "poison-redis", "--wait", "--timeout", "10"])
    #expect(result.stdout.hasPrefix("FAILURE"), "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("hard time limit must be"))
    #expect(try redis.server.command(["LLEN", "celeriac.dead_letter"]) == "1")
    #expect(try redis.run(["send", "tasks.add", "2", "3", "--wait"]).stdout == "5\n")
    #expect(worker.process.isRunning)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("A broker that is down at start-up is waited for, then served without a restart")
  func waitsForBrokerAtStartup() async throws {
    let redis = try await RedisSandbox()
    redis.server.stop()
    let worker = try await redis.worker(
      ["-c", "1", "--broker-startup-timeout", "60"], waitForReady: false)
    await #expect(try worker.waitForLog("waiting for the broker"), "\(worker.log)")
    #expect(worker.process.isRunning)
    try await redis.server.start()
    await #expect(try worker.waitForLog("all pools ready", timeout: .seconds(30)), "\(worker.log)")
    let result = try redis.run(["send", "tasks.add", "20", "22", "--wait"])
    #expect(result.stdout == "42\n", "\(result.stderr)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("SIGTERM while waiting for the broker ends the worker cleanly")
  func stopsWhileWaitingForBroker() async throws {
    let redis = try await RedisSandbox()
    redis.server.stop()
    let worker = try await redis.worker(["--broker-startup-timeout", "60"], waitForReady: false)
    await #expect(try worker.waitForLog("waiting for the broker"))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit(timeout: .seconds(15)) == 0)
    #expect(ProcessTable.children(of: worker.pid).isEmpty)
  }

  @Test("A config file's broker, backend and loglevel take effect; a flag still wins")
  func configFileConnection() async throws {
    let sandbox = try Sandbox()
    let config = sandbox.directory + "/worker.json"
    let fromFile = sandbox.directory + "/from-file.db"
    try #"{"broker": "sqlite://\#(fromFile)", "loglevel": "debug", "concurrency": 1}"#
      .write(toFile: config, atomically: true, encoding: .utf8)
    let worker = try await WorkerProcess(
      directory: sandbox.directory, connection: [], arguments: ["--config", config])
    #expect(worker.log.contains("broker sqlite://\(fromFile)"), "\(worker.log)")
    #expect(worker.log.contains(" debug "), "the file's loglevel was ignored")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
    let bad = sandbox.directory + "/bad.json"
    try #"{"loglevel": "loud"}"#.write(toFile: bad, atomically: true, encoding: .utf8)
    let refused = try sandbox.run(["worker", "--config", bad])
    #expect(refused.status != 0, "a bad loglevel in the file was accepted")
    #expect(refused.stderr.contains("\(bad): 'loglevel' must be one of"), "\(refused.stderr)")
    #expect(refused.stderr.contains("not 'loud'"), "\(refused.stderr)")
  }

  @Test("A supervisor stalled past its lease does not start reserved tasks another one took")
  func stalledSupervisorDropsItsReserve() async throws {
    let sandbox = try Sandbox()
    let runs = sandbox.directory + "/runs.txt"
    let ids = try (0..<3).map { _ in
      try sandbox.send("tasks.record", [.string(runs), 1.5], options: TaskOptions())
    }
    let stalled = try await WorkerProcess(
      sandbox: sandbox, arguments: ["-c", "1", "--prefetch-multiplier", "2", "--lease", "2"])
    // One runs, two wait in the supervisor's reserve.
    #expect(try await waitUntil(timeout: .seconds(10)) { recordedRuns(runs).count == 1 })
    stalled.signal(SIGSTOP)
    let other = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2", "--lease", "2"])
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        ids.allSatisfy { recordedRuns(runs)[$0] != nil }
      })
    stalled.signal(SIGCONT)
    await #expect(try stalled.waitForLog("lease ran out", timeout: .seconds(10)), "\(stalled.log)")
    // The running task may run twice (it was running at the stall); the reserved ones not.
    let twice = ids.filter { (recordedRuns(runs)[$0]?.count ?? 0) > 1 }
    #expect(twice.count <= 1, "\(twice.count) tasks ran twice: \(recordedRuns(runs))")
    #expect(ids.allSatisfy { recordedRuns(runs)[$0] != nil })
    stalled.signal(SIGTERM)
    other.signal(SIGTERM)
    await #expect(try stalled.waitForExit() == 0)
    await #expect(try other.waitForExit() == 0)
  }

  @Test("A beat message's entry and due time are kept in its stored result, on both brokers")
  func beatHeadersInResults() async throws {
    let headers: [String: JSONValue] = [
      "celeriac_beat_entry": "tick", "celeriac_beat_due": "2026-12-01T10:00:00.000000+00:00",
    ]
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "1"])
    let message = TaskMessage(name: "tasks.add", args: [1, 2], headers: headers)
    try sandbox.connection().broker.publish([message])
    await #expect(try sandbox.waitForRecord(message.id)?.headers == headers)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)

    let redis = try await RedisSandbox()
    let redisWorker = try await redis.worker(["-c", "1"])
    let sent = TaskMessage(name: "tasks.add", args: [2, 2], headers: headers)
    try redis.connection().broker.publish([sent])
    let record = try redis.connection().backend.waitForResult(sent.id, timeout: .seconds(10))
    #expect(record?.result == 4 && record?.headers == headers)
    let stored = try redis.server.command(["GET", "celery-task-meta-\(sent.id)"], database: 1)
    #expect(stored.contains(#""celeriac_headers": {"#), "\(stored)")
    redisWorker.signal(SIGTERM)
    await #expect(try redisWorker.waitForExit() == 0)
  }

  @Test("An inherited ignored SIGCHLD is reset: a killed child's exit status is still known")
  func inheritedIgnoredSIGCHLD() async throws {
    let sandbox = try Sandbox()
    // Python starts the worker with SIGCHLD ignored, as a careless parent might.
    let wrapper =
      "import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); "
      + "os.execv(sys.argv[1], sys.argv[1:])"
    let worker = try await WorkerProcess(
      directory: sandbox.directory,
      connection: [
        CeleriacBinary.path, "worker", "--broker", sandbox.brokerURL, "-l", "debug", "-c", "1",
      ],
      executable: "/usr/bin/python3", prefix: ["-c", wrapper])
    let runs = sandbox.directory + "/runs.txt"
    let id = try sandbox.send("tasks.record", [.string(runs), 30], options: TaskOptions())
    #expect(try await waitUntil(timeout: .seconds(10)) { recordedRuns(runs)[id] != nil })
    kill(Int32(recordedRuns(runs)[id]![0])!, SIGKILL)
    let record = try await sandbox.waitForRecord(id)
    #expect(record?.failure?.type == TaskFailure.workerLost)
    #expect(record?.failure?.message.contains("killed by signal 9") == true, "\(record as Any)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("Redis supervisor memory stays flat over 30,000 tasks (the leak of the reply buffer)")
  func flatSupervisorMemory() async throws {
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "2"])
    func drain(_ count: Int, total: Int) async throws {
      let sent = try redis.run(["send", "tasks.noop", "--count", "\(count)"])
      #expect(sent.status == 0, "\(sent.stderr)")
      let drained = try await waitUntil(timeout: .seconds(120)) {
        Int(try redis.server.command(["DBSIZE"], database: 1)) ?? 0 >= total
      }
      #expect(drained)
    }
    try await drain(10_000, total: 10_000)
    let warm = ProcessMemory.residentKiB(of: worker.pid)
    try await drain(10_000, total: 20_000)
    try await drain(10_000, total: 30_000)
    let after = ProcessMemory.residentKiB(of: worker.pid)
    // Before the fix the supervisor grew by about 1 KiB per task: 20 MiB here.
    print("supervisor RSS \(warm) KiB → \(after) KiB over 20,000 tasks")
    #expect(after - warm < 4_096, "supervisor RSS \(warm) KiB → \(after) KiB over 20,000 tasks")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }
}

/// The seed of the hostile-message tests: `CELERIAC_FUZZ_SEED` if set, else a fixed one.
let hostileSeed: UInt64 = {
  ProcessInfo.processInfo.environment["CELERIAC_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0xBAD_5EED
}()

/// Rows written straight into the SQLite broker's `tasks` table, as another program could.
enum SQLiteRows {
  /// Inserts `(task id, payload)` rows into queue `celery`, due now, with one `sqlite3` run.
  static func insert(_ rows: [(String, String)], into database: String) throws {
    func quoted(_ text: String) -> String {
      "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
    var sql = "BEGIN;\n"
    for (id, payload) in rows {
      sql += "INSERT INTO tasks (task_id, queue, payload, eta, created) VALUES "
      sql += "(\(quoted(id)), 'celery', \(quoted(payload)), 0, 0);\n"
    }
    sql += "COMMIT;\n"
    let file = database + ".insert.sql"
    try sql.write(toFile: file, atomically: true, encoding: .utf8)
    let insert = Process()
    insert.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    insert.arguments = [database, ".read \(file)"]
    try insert.run()
    insert.waitUntilExit()
    guard insert.terminationStatus == 0 else { throw IntegrationFailure("sqlite3 insert failed") }
  }
}

/// Resident memory of a process, from `/proc`.
enum ProcessMemory {
  /// `VmRSS` of `pid` in KiB (0 when it cannot be read).
  static func residentKiB(of pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
      return 0
    }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
      return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
    return 0
  }
}

extension CeleryProtocol {
  /// A message as a Celeriac producer writes it, for tests that push raw strings.
  static func encodeForTests(_ message: TaskMessage) -> String {
    encode(message, origin: "tests", replyTo: "tests")
  }
}

extension RedisTestServer {
  /// Sends `commands` through one `redis-cli --pipe` (fast for thousands of commands, and
  /// binary-safe: each command is RESP-encoded).
  func pipe(_ commands: [[String]]) throws {
    var data = Data()
    for command in commands {
      data.append(Data("*\(command.count)\r\n".utf8))
      for argument in command {
        let bytes = Data(argument.utf8)
        data.append(Data("$\(bytes.count)\r\n".utf8))
        data.append(bytes)
        data.append(Data("\r\n".utf8))
      }
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
    process.arguments = ["-p", "\(port)", "--pipe"]
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    input.fileHandleForWriting.write(data)
    try input.fileHandleForWriting.close()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw IntegrationFailure("redis-cli --pipe failed")
    }
  }
}
