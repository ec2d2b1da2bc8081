import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Chords from a stock Python Celery client on Celeriac workers on Redis, counted on Celery's
/// keys in the commit that stores each part's result.
@Suite("Chords on Redis", .serialized, .machineSlot)
struct ChordTests {
  @Test("Python chords: twenty parts sum; a failing part fails the body with ChordError")
  func pythonChords() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "2"])
    let output = try runProcess(
      PythonVenv.python,
      [PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "chord"],
      directory: redis.directory)
    #expect(output.status == 0, "\(output.stderr)")
    let results = try checks(output.stdout)
    // 2 × (0 + 1 + … + 19)
    #expect(results["chord20"]?["value"] == 380, "\(output.stdout)\n\(worker.log)")
    let failing = results["chord_failing_header"]
    // The chord's handle raises its header's error first, as with Celery's own workers.
    #expect(failing?["exc_type"] == "ValueError", "\(output.stdout)")
    guard case .object(let body)? = failing?["body"] else {
      Issue.record("no body outcome: \(output.stdout)")
      return
    }
    #expect(body["exc_type"] == "ChordError", "\(output.stdout)")
    #expect(body["exc_module"] == "celery.exceptions")
    #expect(body["message"]?.stringValue?.contains("raised ValueError('boom')") == true)
    #expect((failing?["elapsed"]?.doubleValue ?? 99) < 5)
    #expect(failing?["errback"] == .object(["value": 10]), "\(output.stdout)")
    // Finished chords leave only Celery's `done` marker.
    let keys = try redis.server.command(["KEYS", "celery-taskset-meta-*"], database: 1)
    #expect(keys.split(separator: "\n").allSatisfy { $0.hasSuffix(".c") || $0.hasSuffix(".j") })
    #expect(try redis.server.command(["ZCARD", "celeriac.chords.completed"], database: 1) == "0")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("A 100-part chord with a child SIGKILLed mid-way runs its body exactly once")
  func chordSurvivesKilledChild() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let path = redis.directory + "/parts.txt"
    let worker = try await redis.worker(["-c", "2"])
    let client = Process()
    client.executableURL = URL(fileURLWithPath: PythonVenv.python)
    client.arguments = [
      PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "chord_kill",
      path, "100",
    ]
    client.currentDirectoryURL = URL(fileURLWithPath: redis.directory)
    let outputPath = redis.directory + "/client.out"
    FileManager.default.createFile(atPath: outputPath, contents: nil)
    client.standardOutput = FileHandle(forWritingAtPath: outputPath)!
    client.standardError = FileHandle(forWritingAtPath: outputPath)!
    try client.run()
    defer { if client.isRunning { kill(client.processIdentifier, SIGKILL) } }
    // Mid-way: a third of the parts have started.
    #expect(try await waitUntil(timeout: .seconds(60)) { recordedOrder(path).count >= 33 })
    try await killBusyChild(of: worker)
    #expect(try await waitUntil(timeout: .seconds(120)) { !client.isRunning })
    client.waitUntilExit()
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    let results = try checks(output)
    let bodyID = try #require(results["sent"]?["body"]?.stringValue, "\(output)")
    #expect(results["chord_kill"]?["value"] == .string(bodyID), "\(output)\n\(worker.log)")
    // Every part ran (the one killed ran again); the body ran once.
    #expect(Set(recordedOrder(path)).count == 100)
    #expect(recordedOrder(path + ".body") == [bodyID])
    #expect(worker.log.contains("lost"), "\(worker.log)")
    #expect(try redis.server.command(["ZCARD", "celeriac.chords.completed"], database: 1) == "0")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }
}
