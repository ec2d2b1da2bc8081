import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Pools follow the broker's queue depth: up fast, down slowly, only idle children retired.
@Suite("Autoscaling", .serialized, .machineSlot)
struct AutoscaleTests {
  static let fastScaling = [
    "--autoscale-interval", "0.05", "--scale-down-cooldown", "1", "--scale-down-interval", "0.2",
  ]

  @Test("a 1..4 pool grows to 4 under a burst and shrinks back to 1 without interrupting tasks")
  func growsAndShrinks() async throws {
    let sandbox = try Sandbox()
    let runs = sandbox.directory + "/runs.txt"
    let worker = try await WorkerProcess(
      sandbox: sandbox, arguments: ["--autoscale", "4,1"] + Self.fastScaling)
    #expect(worker.childPIDs().count == 1)
    let ids = try (0..<16).map { _ in try sandbox.send("tasks.record", [.string(runs), 0.4]) }
    #expect(try await waitUntil(timeout: .seconds(20)) { worker.childPIDs().count == 4 })
    for id in ids {
      await #expect(try sandbox.waitForRecord(id, timeout: .seconds(30))?.state == .success)
    }
    #expect(try await waitUntil(timeout: .seconds(20)) { worker.childPIDs().count == 1 })
    #expect(recordedRuns(runs).values.allSatisfy { $0.count == 1 })
    #expect(!worker.log.contains("lost"))
    #expect(worker.log.contains("autoscale celery:"))
    let inspect = try sandbox.run(["inspect"])
    #expect(inspect.stdout.contains("pool celery:"))
    #expect(inspect.stdout.contains("[1..4]"))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("two queues with different bounds scale independently")
  func queuesScaleIndependently() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(
      sandbox: sandbox,
      arguments: ["-Q", "images,emails", "--autoscale", "images=3,1", "--autoscale", "emails=2,2"]
        + Self.fastScaling)
    let status = { try sandbox.connection().broker.workerStatuses().first?.pools ?? [] }
    #expect(try await waitUntil(timeout: .seconds(10)) { try status().count == 2 })
    let ids = try (0..<9).map { _ in try sandbox.send("tasks.sleep", [0.5], queue: "images") }
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        let pools = try status()
        return pools.first { $0.name == "images" }?.target == 3
          && pools.first { $0.name == "emails" }?.target == 2
      })
    #expect(
      try sandbox.connection().broker.workerStatuses().first?.pools.first { $0.name == "emails" }?
        .busy == 0)
    for id in ids {
      await #expect(try sandbox.waitForRecord(id, timeout: .seconds(30))?.state == .success)
    }
    #expect(
      try await waitUntil(timeout: .seconds(20)) {
        try status().first { $0.name == "images" }?.target == 1
      })
    #expect(try status().first { $0.name == "emails" }?.target == 2)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }
}
