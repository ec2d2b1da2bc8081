import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Bad input gets a clear one-line error, a FAILURE result or dead-letter; never a crash.
@Suite("Bad input", .serialized, .machineSlot)
struct BadInputTests {
  @Test("unknown task and wrong arguments: FAILURE results; the supervisor keeps serving")
  func badTasks() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(sandbox: sandbox)
    let unknown = try await sandbox.waitForRecord(try sandbox.send("tasks.nope", [1]))
    #expect(unknown?.state == .failure && unknown?.failure?.type == TaskFailure.notRegistered)
    let wrong = try await sandbox.waitForRecord(try sandbox.send("tasks.add", [1, 2, 3]))
    #expect(wrong?.failure?.type == "TypeError")
    let shape = try await sandbox.waitForRecord(try sandbox.send("tasks.add", ["a", "b"]))
    #expect(shape?.failure?.type == "TypeError")
    await #expect(try sandbox.waitForRecord(try sandbox.send("tasks.add", [1, 2]))?.result == 3)
    #expect(worker.process.isRunning)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("a malformed row goes to dead-letter with the reason")
  func malformedRow() async throws {
    let sandbox = try Sandbox()
    _ = try sandbox.connection()
    let insert = Process()
    insert.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    insert.arguments = [
      sandbox.databasePath,
      "INSERT INTO tasks (task_id, queue, payload, eta, created) VALUES ('bad-1', 'celery', '{not json', 0, 0);",
    ]
    try insert.run()
    insert.waitUntilExit()
    #expect(insert.terminationStatus == 0)
    let worker = try await WorkerProcess(sandbox: sandbox)
    let broker = try sandbox.connection().broker
    #expect(
      try await waitUntil(timeout: .seconds(10)) { try !broker.deadLetters(limit: 5).isEmpty })
    let entry = try broker.deadLetters(limit: 5).first
    #expect(entry?.payload == "{not json")
    try await worker.waitForLog("dead-lettered a message")
    await #expect(try sandbox.waitForRecord(try sandbox.send("tasks.add", [1, 2]))?.result == 3)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("commands fail with one line naming the problem and a non-zero exit")
  func commandErrors() throws {
    let sandbox = try Sandbox()
    let badPath = try sandbox.run([
      "send", "tasks.add", "1", "2", "--broker", "sqlite:///nonexistent/dir/x.db",
    ])
    #expect(badPath.status != 0)
    #expect(badPath.stderr.contains("/nonexistent/dir/x.db"))
    #expect(badPath.stderr.split(separator: "\n").count == 1)
    let badURL = try sandbox.run(["send", "tasks.add", "--broker", "nonsense"])
    #expect(badURL.status != 0 && badURL.stderr.contains("nonsense"))
    let badFlag = try sandbox.run(["worker", "--concurrency", "zero"])
    #expect(badFlag.status != 0 && badFlag.stderr.contains("concurrency"))
    let badAutoscale = try sandbox.run(["worker", "--autoscale", "1,4"])
    #expect(badAutoscale.status != 0 && badAutoscale.stderr.contains("MAX,MIN"))
    let badKwargs = try sandbox.run(["send", "tasks.add", "--kwargs", "[1]"])
    #expect(badKwargs.status != 0 && badKwargs.stderr.contains("--kwargs"))
    let worker = try sandbox.run(["worker", "--broker", "sqlite:///nonexistent/dir/x.db"])
    #expect(worker.status != 0 && worker.stderr.contains("/nonexistent/dir/x.db"))
  }

  @Test("celeriac dashboard without celeriac-dashboard built says how to build it")
  func dashboardNotBuilt() throws {
    let sandbox = try Sandbox()
    let result = try sandbox.run(
      ["dashboard", "--port", "0"], environment: ["PATH": "/usr/bin:/bin"])
    #expect(result.status == 69)
    #expect(result.stderr.contains("celeriac-dashboard is not built"))
    #expect(result.stderr.contains("Integrations/CeleriacDashboard"))
  }
}
