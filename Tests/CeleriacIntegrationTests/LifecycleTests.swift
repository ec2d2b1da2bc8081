import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The supervisor's lifecycle with real processes and real signals: restarts with backoff, hung
/// children, time limits, recycling, crash loops, reload, resizing.
@Suite("Supervisor lifecycle", .serialized, .machineSlot)
struct LifecycleTests {
  @Test("a child killed five times in a row is restarted after growing delays")
  func restartBackoffGrows() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(
      sandbox: sandbox,
      arguments: ["-c", "1", "--restart-backoff-min", "0.05", "--stable-uptime", "60"])
    var delays: [Double] = []
    for round in 1...5 {
      guard let victim = worker.childPIDs().first else {
        Issue.record("no child before round \(round)")
        return
      }
      kill(victim, SIGKILL)
      try await worker.waitForLog("restarting celery slot 0 in", count: round)
      #expect(
        try await waitUntil(timeout: .seconds(10)) {
          let children = worker.childPIDs()
          return children.count == 1 && children[0] != victim
        })
    }
    for line in worker.log.split(separator: "\n") where line.contains("restarting celery slot 0 in")
    {
      let text = line.components(separatedBy: "slot 0 in ").last ?? ""
      let number = Double(text.split(separator: " ")[0]) ?? -1
      delays.append(text.hasSuffix(" ms") ? number / 1000 : number)
    }
    #expect(delays.count == 5)
    #expect(zip(delays, delays.dropFirst()).allSatisfy { $0 <= $1 }, "delays \(delays)")
    #expect(delays.last! >= delays.first! * 4, "delays \(delays)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("a hung child (no heartbeats) is aborted, killed and replaced; its task is lost")
  func hungChildIsReplaced() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(
      sandbox: sandbox,
      arguments: ["-c", "1", "--child-timeout", "1", "--heartbeat-interval", "0.2"])
    let before = worker.childPIDs()
    let id = try sandbox.send("tasks.hang")
    let record = try await sandbox.waitForRecord(id)
    #expect(
      record?.state == .failure && record?.failure?.type == TaskFailure.workerLost,
      "\(String(describing: record))\n\(worker.log)")
    #expect(record?.failure?.message.contains("heartbeat") == true)
    #expect(
      try await waitUntil(timeout: .seconds(10)) {
        let now = worker.childPIDs()
        return now.count == 1 && now != before
      })
    await #expect(try sandbox.waitForRecord(try sandbox.send("tasks.add", [1, 1]))?.result == 2)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("soft time limit cancels the task cooperatively; the child stays")
  func softTimeLimit() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(
      sandbox: sandbox, arguments: ["-c", "1", "--soft-time-limit", "0.3"])
    let before = worker.childPIDs()
    let record = try await sandbox.waitForRecord(try sandbox.send("tasks.sleep", [30]))
    #expect(record?.failure?.type == TaskFailure.softTimeLimitExceeded)
    #expect(worker.childPIDs() == before)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("hard time limit kills and replaces the child; the task fails with TimeLimitExceeded")
  func hardTimeLimit() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(
      sandbox: sandbox, arguments: ["-c", "1", "--time-limit", "0.3"])
    let before = worker.childPIDs()
    let record = try await sandbox.waitForRecord(try sandbox.send("tasks.sleep", [30]))
    #expect(record?.failure?.type == TaskFailure.timeLimitExceeded)
    #expect(
      try await waitUntil(timeout: .seconds(10)) {
        let now = worker.childPIDs()
        return now.count == 1 && now != before
      })
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("--max-tasks-per-child recycles children without counting crashes")
  func recycleAfterTasks() async throws {
    let sandbox = try Sandbox()
    let runs = sandbox.directory + "/runs.txt"
    let worker = try await WorkerProcess(
      sandbox: sandbox, arguments: ["-c", "1", "--max-tasks-per-child", "3"])
    let ids = try (0..<9).map { _ in try sandbox.send("tasks.record", [.string(runs), 0]) }
    for id in ids { await #expect(try sandbox.waitForRecord(id)?.state == .success) }
    var perPID: [String: Int] = [:]
    for pids in recordedRuns(runs).values { for pid in pids { perPID[pid, default: 0] += 1 } }
    #expect(perPID.count == 3)
    #expect(perPID.values.allSatisfy { $0 == 3 })
    #expect(!worker.log.contains("restarting celery"))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("--max-memory-per-child replaces a child after a task that grew it past the limit")
  func recycleAfterMemory() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(
      sandbox: sandbox, arguments: ["-c", "1", "--max-memory-per-child", "60000"])
    let before = worker.childPIDs()
    await #expect(try sandbox.waitForRecord(try sandbox.send("tasks.allocate", [8]))?.result == 8)
    #expect(worker.childPIDs() == before)
    await #expect(try sandbox.waitForRecord(try sandbox.send("tasks.allocate", [96]))?.result == 96)
    try await worker.waitForLog("KiB > 60000 KiB: replacing it")
    #expect(
      try await waitUntil(timeout: .seconds(10)) {
        let now = worker.childPIDs()
        return now.count == 1 && now != before
      })
    #expect(!worker.log.contains("restarting celery"))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("a pool whose children keep crashing ends the supervisor with exit status 3")
  func crashLoopExits() async throws {
    let sandbox = try Sandbox()
    let connection = try sandbox.connection()
    try connection.broker.publish((0..<50).map { _ in TaskMessage(name: "tasks.crash") })
    let worker = try await WorkerProcess(
      sandbox: sandbox,
      arguments: ["-c", "1", "--crash-loop-window", "1", "--restart-backoff-min", "0.05"],
      waitForReady: false)
    await #expect(try worker.waitForExit(timeout: .seconds(30)) == 3)
    #expect(worker.log.contains("crash loop"))
  }

  @Test("children that cannot boot end the supervisor with exit status 4")
  func bootFailureExits() async throws {
    let sandbox = try Sandbox()
    let copy = sandbox.directory + "/celeriac-copy"
    try FileManager.default.copyItem(atPath: CeleriacBinary.path, toPath: copy)
    let worker = try await WorkerProcess(
      sandbox: sandbox, arguments: ["-c", "2", "--restart-backoff-min", "0.05"],
      executable: copy)
    try FileManager.default.removeItem(atPath: copy)
    try "#!/bin/sh\nexit 1\n".write(toFile: copy, atomically: true, encoding: .utf8)
    chmod(copy, 0o755)
    for child in worker.childPIDs() { kill(child, SIGKILL) }
    await #expect(try worker.waitForExit(timeout: .seconds(30)) == 4)
    #expect(worker.log.contains("boot failure"))
  }

  @Test("SIGTERM during a burst of 1,000 short tasks: none lost, none run twice")
  func termDuringBurst() async throws {
    let sandbox = try Sandbox()
    let runs = sandbox.directory + "/runs.txt"
    let connection = try sandbox.connection()
    let messages = (0..<1000).map { _ in
      TaskMessage(
        name: "tasks.record", args: [.string(runs), 0],
        options: TaskOptions(acksLate: true, rejectOnWorkerLost: true))
    }
    try connection.broker.publish(messages)
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2"])
    #expect(try await waitUntil(timeout: .seconds(20)) { recordedRuns(runs).count >= 100 })
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
    let second = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2"])
    #expect(try await waitUntil(timeout: .seconds(60)) { recordedRuns(runs).count >= 1000 })
    second.signal(SIGTERM)
    await #expect(try second.waitForExit() == 0)
    let all = recordedRuns(runs)
    #expect(all.count == 1000)
    #expect(all.values.filter { $0.count > 1 }.isEmpty)
    for message in messages.prefix(50) {
      #expect(try connection.backend.result(for: message.id)?.state == .success)
    }
  }

  @Test("SIGHUP during a burst: new pids serve, old ones exit after their task, each task once")
  func reloadDuringBurst() async throws {
    let sandbox = try Sandbox()
    let runs = sandbox.directory + "/runs.txt"
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2"])
    let old = Set(worker.childPIDs().map(String.init))
    let connection = try sandbox.connection()
    let messages = (0..<300).map { _ in
      TaskMessage(name: "tasks.record", args: [.string(runs), 0.01])
    }
    try connection.broker.publish(messages)
    #expect(try await waitUntil(timeout: .seconds(20)) { recordedRuns(runs).count >= 30 })
    worker.signal(SIGHUP)
    try await worker.waitForLog("reload complete")
    #expect(try await waitUntil(timeout: .seconds(30)) { recordedRuns(runs).count >= 300 })
    let all = recordedRuns(runs)
    #expect(all.count == 300)
    #expect(all.values.allSatisfy { $0.count == 1 })
    let servingPIDs = Set(all.values.flatMap { $0 })
    let newPIDs = servingPIDs.subtracting(old)
    #expect(!newPIDs.isEmpty)
    #expect(
      try await waitUntil(timeout: .seconds(10)) {
        Set(worker.childPIDs().map(String.init)).isDisjoint(with: old)
      })
    #expect(worker.childPIDs().count == 2)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("a config that fails to load on SIGHUP keeps the old generation serving")
  func badConfigOnReload() async throws {
    let sandbox = try Sandbox()
    let config = sandbox.directory + "/worker.json"
    try #"{"concurrency": 2}"#.write(toFile: config, atomically: true, encoding: .utf8)
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["--config", config])
    let before = worker.childPIDs()
    #expect(before.count == 2)
    try #"{"concurrency": "#.write(toFile: config, atomically: true, encoding: .utf8)
    worker.signal(SIGHUP)
    try await worker.waitForLog("keeping the old one")
    #expect(worker.childPIDs() == before)
    await #expect(try sandbox.waitForRecord(try sandbox.send("tasks.add", [2, 2]))?.result == 4)
    try #"{"concurrency": 3}"#.write(toFile: config, atomically: true, encoding: .utf8)
    worker.signal(SIGHUP)
    try await worker.waitForLog("reload complete")
    #expect(
      try await waitUntil(timeout: .seconds(10)) {
        let now = worker.childPIDs()
        return now.count == 3 && Set(now).isDisjoint(with: before)
      })
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("TTIN adds a child, TTOU retires one (never below one); USR1 logs the state")
  func resizeWithSignals() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "2"])
    worker.signal(SIGTTIN)
    #expect(try await waitUntil(timeout: .seconds(10)) { worker.childPIDs().count == 3 })
    for _ in 0..<3 {
      let count = worker.childPIDs().count
      worker.signal(SIGTTOU)
      #expect(
        try await waitUntil(timeout: .seconds(10)) { worker.childPIDs().count == max(1, count - 1) }
      )
    }
    #expect(worker.childPIDs().count == 1)
    worker.signal(SIGUSR1)
    try await worker.waitForLog("pool celery: target 1")
    #expect(worker.log.contains("child \(worker.childPIDs()[0]) celery slot"))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("children ignore HUP, TTIN, TTOU and USR1 sent to them directly")
  func childrenIgnoreSupervisorSignals() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox, arguments: ["-c", "1"])
    let child = worker.childPIDs()[0]
    for signal in [SIGHUP, SIGTTIN, SIGTTOU, SIGUSR1, SIGINT] { kill(child, signal) }
    await #expect(try sandbox.waitForRecord(try sandbox.send("tasks.add", [3, 4]))?.result == 7)
    #expect(worker.childPIDs() == [child])
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }
}
