import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The first slice end to end: real supervisor and children on a real SQLite file.
@Suite("Worker on the SQLite broker", .serialized, .machineSlot)
struct FoundationTests {
  @Test("send --wait prints the value; send prints the id; result reads it")
  func commandLineRoundTrip() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2"])
    let waited = try sandbox.run(["send", "tasks.add", "2", "3", "--wait"])
    #expect(waited.status == 0)
    #expect(waited.stdout == "5\n")
    let sent = try sandbox.run(["send", "tasks.add", "--kwargs", #"{"x": 40, "y": 2}"#])
    let id = sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(sent.status == 0 && UUID(uuidString: id) != nil)
    let result = try sandbox.run(["result", id, "--wait", "--timeout", "10"])
    #expect(result.stdout == "SUCCESS 42\n")
    let failed = try sandbox.run(["send", "tasks.fail", "boom", "--wait"])
    #expect(failed.status == 1)
    #expect(failed.stderr.contains("ValueError: boom"))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test(
    "outside systemd no process of the tree loads libsystemd (only a supervisor systemd started does)",
    .enabled(if: ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] == nil))
  func libsystemdIsNotLoaded() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2"])
    #expect(try sandbox.run(["send", "tasks.add", "1", "2", "--wait"]).stdout == "3\n")
    let tree = [worker.pid] + worker.childPIDs()
    #expect(tree.count == 3)
    for pid in tree {
      // Read to the end: procfs reports a size of 0, which a sized read takes at its word.
      let file = try #require(FileHandle(forReadingAtPath: "/proc/\(pid)/maps"))
      let maps = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
      #expect(maps.contains("libsqlite3"), "pid \(pid): not a process of the worker")
      #expect(!maps.contains("libsystemd"), "pid \(pid) maps libsystemd")
    }
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("a long task never blocks another while a child of the pool is idle")
  func longTaskDoesNotBlockIdleChild() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2"])
    let long = try sandbox.send("tasks.sleep", [30])
    _ = try await sandbox.waitForRecord(long) { $0.state == .started }
    let quick = try (0..<5).map { try sandbox.send("tasks.add", [.int($0), 1]) }
    for (index, id) in quick.enumerated() {
      let record = try await sandbox.waitForRecord(id, timeout: .seconds(15))
      #expect(record?.state == .success)
      #expect(record?.result == .int(Int64(index) + 1))
    }
    #expect(try sandbox.connection().backend.result(for: long)?.state == .started)
    worker.signal(SIGQUIT)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("states PENDING → STARTED → SUCCESS/FAILURE are stored with value or error")
  func statesAreStored() async throws {
    let sandbox = try Sandbox()
    let backend = try sandbox.connection().backend
    let id = try sandbox.send("tasks.sleep", [0.5])
    #expect(try backend.result(for: id) == nil)
    let worker = try await WorkerProcess(sandbox: sandbox)
    let started = try await sandbox.waitForRecord(id) { $0.state == .started }
    #expect(started?.name == "tasks.sleep")
    let done = try await sandbox.waitForRecord(id)
    #expect(done?.state == .success && done?.result == .double(0.5))
    let failing = try sandbox.send("tasks.fail", ["broken"])
    let failure = try await sandbox.waitForRecord(failing)
    #expect(failure?.state == .failure)
    #expect(failure?.failure?.type == "ValueError" && failure?.failure?.message == "broken")
    let progress = try sandbox.send("tasks.progress", [5, 0.2])
    let reported = try await sandbox.waitForRecord(progress) { $0.state == .progress }
    #expect(reported?.result?.compactDescription.contains("\"total\": 5") == true)
    await #expect(try sandbox.waitForRecord(progress)?.result == .int(5))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("tasks with a countdown, an expiry and retries run (their dates reach the child intact)")
  func datedTasksRun() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox)
    let later = try sandbox.run(["send", "tasks.add", "1", "2", "--countdown", "0.2", "--wait"])
    #expect(later.status == 0 && later.stdout == "3\n", "\(later.stderr)")
    let expiring = try sandbox.run(["send", "tasks.add", "2", "2", "--expires", "60", "--wait"])
    #expect(expiring.status == 0 && expiring.stdout == "4\n", "\(expiring.stderr)")
    let flaky = try sandbox.run(["send", "tasks.flaky", "2", "--wait"])
    #expect(flaky.status == 0 && flaky.stdout == "2\n", "\(flaky.stderr)")
    let expired = try sandbox.run(["send", "tasks.add", "1", "1", "--expires", "0.001"])
    let id = expired.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    await #expect(try sandbox.waitForRecord(id)?.state == .revoked)
    #expect(!worker.log.contains("exited with status 1"))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("send --idempotency-key sends once while the key is held")
  func idempotencyKey() throws {
    let sandbox = try Sandbox()
    let send = { (key: String) in
      try sandbox.run(["send", "tasks.add", "1", "2", "--idempotency-key", key]).stdout
    }
    let first = try send("k1")
    #expect(try send("k1") == first)
    #expect(try send("k2") != first)
    #expect(try sandbox.connection().broker.depths(of: ["celery"])["celery"] == 2)
  }

  @Test("results expire after --result-expires")
  func resultsExpire() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["--result-expires", "1"])
    let id = try sandbox.send("tasks.add", [1, 1])
    await #expect(try sandbox.waitForRecord(id)?.state == .success)
    let backend = try sandbox.connection().backend
    #expect(try await waitUntil(timeout: .seconds(10)) { try backend.result(for: id) == nil })
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("a child SIGKILLed mid-task: replaced, and its task fails with WorkerLostError")
  func killedChildFailsItsTask() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "1"])
    let runs = sandbox.directory + "/runs.txt"
    let id = try sandbox.send("tasks.record", [.string(runs), 30], options: TaskOptions())
    #expect(try await waitUntil(timeout: .seconds(10)) { recordedRuns(runs)[id] != nil })
    let victim = Int32(recordedRuns(runs)[id]![0])!
    kill(victim, SIGKILL)
    let record = try await sandbox.waitForRecord(id)
    #expect(record?.state == .failure)
    #expect(record?.failure?.type == TaskFailure.workerLost)
    #expect(
      try await waitUntil(timeout: .seconds(10)) {
        let children = worker.childPIDs()
        return children.count == 1 && !children.contains(victim)
      })
    await #expect(try sandbox.waitForRecord(try sandbox.send("tasks.add", [2, 2]))?.result == 4)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("acks-late + reject-on-worker-lost: a killed child's task runs again")
  func killedChildRequeuesAcksLateTask() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "1"])
    let runs = sandbox.directory + "/runs.txt"
    let id = try sandbox.send(
      "tasks.record", [.string(runs), 2],
      options: TaskOptions(acksLate: true, rejectOnWorkerLost: true))
    #expect(try await waitUntil(timeout: .seconds(10)) { recordedRuns(runs)[id] != nil })
    kill(Int32(recordedRuns(runs)[id]![0])!, SIGKILL)
    let record = try await sandbox.waitForRecord(id)
    #expect(record?.state == .success)
    #expect(recordedRuns(runs)[id]?.count == 2)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("redeliveries are capped: a task that always kills its child fails for good")
  func redeliveryCap() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "1"])
    let id = try sandbox.send(
      "tasks.crash", [],
      options: TaskOptions(acksLate: true, rejectOnWorkerLost: true, maxRedeliveries: 2))
    let record = try await sandbox.waitForRecord(id, timeout: .seconds(30))
    #expect(record?.state == .failure)
    #expect(record?.failure?.type == TaskFailure.workerLost)
    #expect(worker.log.components(separatedBy: "returning it to celery").count - 1 == 2)
    // The dead letter is written after the result, in the same flush (the order that keeps
    // at-least-once: the outcome first, then what takes the task off the broker).
    let broker = try sandbox.connection().broker
    #expect(
      try await waitUntil(timeout: .seconds(10)) {
        try broker.deadLetters(limit: 10).contains { $0.taskID == id }
      })
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("SIGTERM: running tasks finish, nothing unstarted is lost, exit 0")
  func warmShutdown() async throws {
    let sandbox = try Sandbox()
    let runs = sandbox.directory + "/runs.txt"
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2"])
    let ids = try (0..<40).map { _ in try sandbox.send("tasks.record", [.string(runs), 0.05]) }
    #expect(try await waitUntil(timeout: .seconds(10)) { recordedRuns(runs).count >= 4 })
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
    let backend = try sandbox.connection().backend
    for (id, pids) in recordedRuns(runs) {
      #expect(pids.count == 1)
      #expect(try backend.result(for: id)?.state == .success)
    }
    let second = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2"])
    for id in ids { await #expect(try sandbox.waitForRecord(id)?.state == .success) }
    let all = recordedRuns(runs)
    #expect(all.count == ids.count)
    #expect(all.values.allSatisfy { $0.count == 1 })
    second.signal(SIGTERM)
    await #expect(try second.waitForExit() == 0)
  }

  @Test("QUIT ends running tasks now, handled as lost")
  func coldShutdown() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "1"])
    let id = try sandbox.send("tasks.sleep", [60])
    _ = try await sandbox.waitForRecord(id) { $0.state == .started }
    worker.signal(SIGQUIT)
    await #expect(try worker.waitForExit(timeout: .seconds(10)) == 0)
    let record = try sandbox.connection().backend.result(for: id)
    #expect(record?.state == .failure && record?.failure?.type == TaskFailure.workerLost)
  }

  @Test("INT once is warm, twice is cold")
  func interruptTwice() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "1"])
    let id = try sandbox.send("tasks.sleep", [60])
    _ = try await sandbox.waitForRecord(id) { $0.state == .started }
    worker.signal(SIGINT)
    try await worker.waitForLog("SIGINT: warm shutdown")
    #expect(worker.process.isRunning)
    worker.signal(SIGINT)
    await #expect(try worker.waitForExit(timeout: .seconds(10)) == 0)
  }

  @Test("supervisor SIGKILLed: children die with it; its tasks return after the lease")
  func supervisorKilled() async throws {
    let sandbox = try Sandbox()
    let runs = sandbox.directory + "/runs.txt"
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2", "--lease", "1"])
    let children = worker.childPIDs()
    #expect(children.count == 2)
    let id = try sandbox.send(
      "tasks.record", [.string(runs), 30],
      options: TaskOptions(acksLate: true, rejectOnWorkerLost: true))
    #expect(try await waitUntil(timeout: .seconds(10)) { recordedRuns(runs)[id] != nil })
    worker.signal(SIGKILL)
    _ = try await worker.waitForExit()
    #expect(
      try await waitUntil(timeout: .seconds(10)) { !children.contains(where: ProcessTable.isAlive) }
    )
    let second = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "1", "--lease", "1"])
    #expect(try await waitUntil(timeout: .seconds(20)) { recordedRuns(runs)[id]?.count == 2 })
    second.signal(SIGQUIT)
    _ = try await second.waitForExit()
  }
}
