import CeleriacCore
import CeleriacWorker
import Testing

/// The supervisor's loop, run for real against fake children and a SQLite broker: dispatch,
/// the loss of a child holding a task, warm shutdown and reload, without starting a process.
@Suite("Supervisor loop (fake children)")
struct SupervisorLoopTests {
  @Test("hands each task to an idle child and stores every result")
  func dispatch() async throws {
    let harness = try SupervisorHarness(concurrency: 2)
    await harness.await("two ready children") {
      $0.count { if case .ready = $0 { true } else { false } } == 2
    }
    let ids = try harness.send(
      FakeChildSpawner.Behaviour.add, args: (0..<40).map { [.int(Int64($0)), 1] })
    let results = try await harness.results(ids)
    for (index, id) in ids.enumerated() {
      #expect(results[id]?.state == .success)
      #expect(results[id]?.result == .int(Int64(index + 1)))
    }
    let events = harness.probe.events
    #expect(events.pids().count == 40, "one dispatch per task")
    #expect(Set(events.pids()).count == 2, "both children ran tasks")
    #expect(events.spawnCount == 2, "no child was replaced")
    #expect(await harness.stop() == .clean)
  }

  @Test(
    "a child that dies holding a task is replaced; the task runs again elsewhere only with acks-late and reject-on-worker-lost",
    arguments: [false, true])
  func childLoss(requeues: Bool) async throws {
    let harness = try SupervisorHarness(concurrency: 2)
    var options = TaskOptions()
    options.acksLate = requeues
    options.rejectOnWorkerLost = requeues
    let id = try harness.send(FakeChildSpawner.Behaviour.crashOnce, args: [[]], options: options)[0]
    let results = try await harness.results([id])
    let events = harness.probe.events
    let pids = events.pids(runningTask: id)
    #expect(events.compactMap(\.reapedPID).first == pids.first, "the crashed child was reaped")
    if requeues {
      #expect(results[id]?.state == .success)
      #expect(results[id]?.result == "survived")
      #expect(pids.count == 2, "dispatched once, redelivered once")
      #expect(Set(pids).count == 2, "the second run is in another child")
    } else {
      #expect(results[id]?.state == .failure)
      #expect(results[id]?.failure?.type == TaskFailure.workerLost)
      #expect(pids.count == 1, "not run again")
    }
    await harness.await("a replacement child") { $0.spawnCount == 3 }
    #expect(await harness.stop() == .clean)
  }

  @Test("warm shutdown lets the running task finish, then stops every child")
  func warmShutdown() async throws {
    let harness = try SupervisorHarness(concurrency: 2)
    let id = try harness.send(FakeChildSpawner.Behaviour.hold, args: [[]])[0]
    await harness.await("the held task to start") { !$0.pids(runningTask: id).isEmpty }
    harness.signals.post(.term)
    await harness.await("SIGTERM handled") { $0.contains(.signal(.term)) }
    // The idle child is told to exit at once; the busy one keeps its task.
    await harness.await("the idle child to exit") { $0.reapCount == 1 }
    #expect(try harness.backend.result(for: id)?.state != .success)
    harness.spawner.release()
    await harness.await("the supervisor to exit") { $0.contains(.exited(.clean)) }
    let events = harness.probe.events
    #expect(events.reapCount == 2)
    #expect(events.spawnCount == 2, "no child was started during shutdown")
    #expect(try harness.backend.result(for: id)?.state == .success)
  }

  @Test("SIGHUP starts a new generation and retires the old one; tasks go to the new children")
  func reload() async throws {
    let harness = try SupervisorHarness(concurrency: 2)
    await harness.await("two ready children") {
      $0.count { if case .ready = $0 { true } else { false } } == 2
    }
    let before = Set(harness.probe.events.compactMap(\.spawnedPID))
    harness.signals.post(.hup)
    await harness.await("two new children and the old two reaped") { events in
      events.spawnCount == 4 && events.reapCount == 2
    }
    let events = harness.probe.events
    #expect(Set(events.compactMap(\.reapedPID)) == before, "the old generation was retired")
    let ids = try harness.send(
      FakeChildSpawner.Behaviour.add, args: (0..<10).map { [.int(Int64($0))] })
    _ = try await harness.results(ids)
    let ran = Set(harness.probe.events.pids())
    #expect(ran.isDisjoint(with: before), "no task went to a retired child")
    #expect(await harness.stop() == .clean)
  }
}
