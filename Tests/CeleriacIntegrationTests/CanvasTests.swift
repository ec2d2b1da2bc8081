import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Chains, groups and chords built in Swift (API and command line), on Celeriac workers and on
/// a Python Celery worker, over Redis.
@Suite("Canvas from Swift", .serialized, .machineSlot)
struct CanvasTests {
  static func add(_ x: Int64, _ y: Int64? = nil) -> Signature {
    Signature("tasks.add", args: [.int(x)] + (y.map { [.int($0)] } ?? []))
  }

  /// A chord whose header has a failing part fails its body with Celery's `ChordError`, naming
  /// the part's error.
  static func expectChordError(_ app: CeleriacApp) async throws {
    let failing = try await app.chord(
      [add(1, 1), Signature("tasks.fail", args: ["boom"])], body: Signature("tasks.xsum"))
    do {
      _ = try await failing.get(timeout: .seconds(20))
      Issue.record("a chord with a failing header succeeded")
    } catch let failure as TaskFailure {
      #expect(failure.type == "ChordError" && failure.message.contains("ValueError('boom')"))
    }
  }

  @Test("app.chain, app.group (GroupResult, restored by Python) and app.chord on a Celeriac worker")
  func swiftCanvasOnCeleriacWorker() async throws {
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "2"])
    let app = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: redis.brokerURL, backendURL: redis.backendURL)
    )
    let chained = try await app.chain([Self.add(1, 2), Self.add(3), Self.add(4)])
    #expect(try await chained.get(timeout: .seconds(20)) == 10)

    let group = try await app.group((0..<10).map { Self.add($0, $0) })
    #expect(try await group.get(timeout: .seconds(20)) == (0..<10).map { .int($0 * 2) })
    #expect(try await group.states() == Array(repeating: .success, count: 10))
    if (try? PythonVenv.require()) != nil {
      let restored = try runProcess(
        PythonVenv.python,
        [
          PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "restore",
          group.id,
        ], directory: redis.directory)
      let found = try checks(restored.stdout)["restore"]
      #expect(
        found?["ids"] == .array(group.results.map { .string($0.id) }),
        "\(restored.stdout)\(restored.stderr)")
      #expect(found?["values"] == .array((0..<10).map { .int($0 * 2) }))
    }

    let chord = try await app.chord(
      (0..<10).map { Self.add($0, 1) }, body: Signature("tasks.xsum"))
    #expect(try await chord.get(timeout: .seconds(20)) == 55)

    try await Self.expectChordError(app)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("Bad canvases are refused before anything is sent")
  func badCanvases() async throws {
    let redis = try await RedisSandbox()
    let app = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: redis.brokerURL, backendURL: redis.backendURL)
    )
    await #expect(throws: CanvasError.self) { _ = try await app.chain([]) }
    await #expect(throws: CanvasError.self) { _ = try await app.group([]) }
    await #expect(throws: CanvasError.self) {
      _ = try await app.chord([], body: Signature("tasks.xsum"))
    }
    await #expect(throws: CanvasError.self) {
      _ = try await app.chord([Self.add(1, 1)], body: Signature(""))
    }
    await #expect(throws: CanvasError.self) {
      _ = try await app.chain([Self.add(1, 1), Signature("")])
    }
    await #expect(throws: CanvasError.self) {
      _ = try await app.group([Signature("tasks.add", options: SendOptions(priority: 99))])
    }
    #expect(try redis.connection().broker.depths(of: ["celery"])["celery"] == 0)
    let eager = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: redis.brokerURL, alwaysEager: true))
    await #expect(throws: CeleriacError.self) {
      _ = try await eager.chord([Self.add(1, 1)], body: Signature("tasks.xsum"))
    }
  }

  @Test("celeriac chain and celeriac group wait and print the values")
  func commandLineCanvas() async throws {
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "2"])
    let chain = try redis.run(["chain", "tasks.add 1 2", "tasks.add 3", "tasks.add 4", "--wait"])
    #expect(chain.status == 0 && chain.stdout == "10\n", "\(chain.stderr)")
    let group = try redis.run([
      "group", "tasks.add 1 1", "tasks.add 2 2", "tasks.add 3 3", "--wait",
    ])
    #expect(group.status == 0 && group.stdout == "[2, 4, 6]\n", "\(group.stdout)\(group.stderr)")
    let empty = try redis.run(["chain", " ", "--wait"])
    #expect(empty.status != 0 && empty.stderr.contains("names no task"), "\(empty.stderr)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("celeriac chord waits and prints the body's value", arguments: BrokerKind.allCases)
  func commandLineChord(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let worker = try await broker.worker(["-c", "2"])
    let chord = try broker.run([
      "chord", "tasks.add 1 1", "tasks.add 2 2", "tasks.add 3 3", "--body", "tasks.xsum",
      "--wait",
    ])
    #expect(chord.status == 0 && chord.stdout == "12\n", "\(chord.stdout)\(chord.stderr)")
    let failing = try broker.run([
      "chord", "tasks.add 1 1", "tasks.fail boom", "--body", "tasks.xsum", "--wait",
    ])
    #expect(failing.status == 1 && failing.stderr.contains("ChordError"), "\(failing.stderr)")
    let noBody = try broker.run(["chord", "tasks.add 1 1", "--body", " "])
    #expect(noBody.status != 0 && noBody.stderr.contains("names no task"), "\(noBody.stderr)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test(
    "A Swift chord of 100 parts with a child SIGKILLed mid-way runs its body once; a failing part fails it",
    arguments: BrokerKind.allCases)
  func swiftChordSurvivesKilledChild(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let path = broker.directory + "/parts.txt"
    let worker = try await broker.worker(["-c", "2"])
    let app = CeleriacApp(configuration: broker.configuration)
    let late = SendOptions(options: TaskOptions(acksLate: true, rejectOnWorkerLost: true))
    // 0.2 s a part (10 s of work on two children): when the machine is loaded the kill must
    // still land while parts run, not after the last one finished.
    let header = (0..<100).map { _ in
      Signature("tasks.record", args: [.string(path), .double(0.2)], options: late)
    }
    let body = Signature("tasks.record", args: [.string(path + ".body")], immutable: true)
    let chord = try await app.chord(header, body: body)
    #expect(try await waitUntil(timeout: .seconds(60)) { recordedOrder(path).count >= 33 })
    try await killBusyChild(of: worker)
    #expect(try await chord.get(timeout: .seconds(120)) == .string(chord.id), "\(worker.log)")
    #expect(Set(recordedOrder(path)).count == 100)
    #expect(recordedOrder(path + ".body") == [chord.id])
    #expect(worker.log.contains("lost"))

    try await Self.expectChordError(app)
    let summed = try await app.chord(
      (0..<20).map { Self.add($0, $0) }, body: Signature("tasks.xsum"))
    #expect(try await summed.get(timeout: .seconds(20)) == 380)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("A chord built in Swift runs on a Python Celery worker")
  func swiftChordOnPythonWorker() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let worker = try await PythonWorkerProcess(sandbox: redis)
    let app = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: redis.brokerURL, backendURL: redis.backendURL)
    )
    let chord = try await app.chord(
      (0..<5).map { Self.add($0, $0) }, body: Signature("tasks.xsum"))
    #expect(try await chord.get(timeout: .seconds(30)) == 20, "\(worker.log)")
    let chained = try await app.chain([Self.add(1, 2), Self.add(3)])
    #expect(try await chained.get(timeout: .seconds(30)) == 6, "\(worker.log)")
  }

  @Test("A group, a link and a link_error built in Swift run on a Python Celery worker")
  func swiftGroupAndLinksOnPythonWorker() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let worker = try await PythonWorkerProcess(sandbox: redis)
    let app = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: redis.brokerURL, backendURL: redis.backendURL)
    )
    let group = try await app.group((0..<6).map { Self.add($0, 10) })
    #expect(
      try await group.get(timeout: .seconds(30)) == (0..<6).map { .int($0 + 10) },
      "\(worker.log)")
    // Python stored the group's results where Swift's GroupResult reads them back.
    #expect(try app.restoreGroup(group.id)?.results.map(\.id) == group.results.map(\.id))

    let callbackID = "python-link-\(UUID().uuidString.prefix(8))"
    let linked = Signature(
      "tasks.add", args: [1, 2],
      links: [Signature("tasks.add", args: [100], options: SendOptions(taskID: callbackID))])
    #expect(try await app.chain([linked]).get(timeout: .seconds(30)) == 3)
    // Python's worker calls the link with the value first: add(3, 100).
    #expect(try await app.result(for: callbackID).get(timeout: .seconds(30)) == 103)

    let errbackID = "python-errback-\(UUID().uuidString.prefix(8))"
    let failing = Signature(
      "tasks.fail", args: ["boom"],
      errorLinks: [
        Signature("tasks.noop", options: SendOptions(taskID: errbackID), immutable: true)
      ])
    _ = try await app.group([failing])
    // The errback (immutable: called without the failed task's id) runs once the task fails.
    #expect(try await app.result(for: errbackID).get(timeout: .seconds(30)) == .null)
  }
}
