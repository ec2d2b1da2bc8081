import Celeriac
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Celery's built-in `celery.map`, `celery.starmap` (and so `chunks`) and `celery.chunks`, from
/// a Python client and by name.
@Suite("Celery built-in tasks", .serialized, .machineSlot)
struct CeleryBuiltinTaskTests {
  @Test("Python xmap, xstarmap, chunks and celery.chunks by name run on a Celeriac worker")
  func pythonMapStarmapChunks() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let worker = try await redis.worker(["-c", "2"])
    let output = try runProcess(
      PythonVenv.python,
      [PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "mapping"],
      directory: redis.directory)
    #expect(output.status == 0, "\(output.stderr)")
    let results = try checks(output.stdout)
    #expect(results["map"]?["value"] == [3, 12], "\(output.stdout)")
    #expect(results["starmap"]?["value"] == [3, 7])
    #expect(results["chunks"]?["value"] == [[0, 2, 4], [6, 8, 10]])
    #expect(results["map_unknown"]?["exc_type"] == "NotRegistered")
    #expect(results["chunks_by_name"]?["value"] == [[0, 2, 4], [6, 8, 10]], "\(output.stdout)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  /// A `celery.chunks` call as a client sends it by name (`send_task`, kwargs).
  static func chunksCall(it: JSONValue, n: JSONValue) -> TaskMessage {
    TaskMessage(
      name: "celery.chunks",
      kwargs: [
        "task": [
          "task": "tasks.add", "args": [], "kwargs": [:], "options": [:], "subtask_type": nil,
          "immutable": false,
        ],
        "it": it, "n": n,
      ])
  }

  @Test(
    "celery.chunks called by name: a group of celery.starmap, its tuple as the value; bad calls fail",
    arguments: BrokerKind.allCases)
  func chunksByName(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let worker = try await broker.worker(["-c", "2"])
    let app = CeleriacApp(configuration: broker.configuration)
    let connection = try broker.connection()
    let pairs: JSONValue = .array((0..<7).map { [.int($0), .int($0)] })
    let call = Self.chunksCall(it: pairs, n: 3)
    try connection.broker.publish([call])
    let tuple = try await app.result(for: call.id).get(timeout: .seconds(30))
    let group = try #require(tuple.arrayValue?.first?.arrayValue?.first?.stringValue)
    let members = try #require(tuple.arrayValue?.last?.arrayValue)
    #expect(members.count == 3, "\(tuple)")
    var values: [JSONValue] = []
    for member in members {
      let id = try #require(member.arrayValue?.first?.arrayValue?.first?.stringValue)
      let record = try await app.result(for: id)
      values.append(try await record.get(timeout: .seconds(30)))
      #expect(try await record.record()?.name == "celery.starmap")
    }
    #expect(values == [[0, 2, 4], [6, 8, 10], [12]], "group \(group)")

    let bad: [TaskMessage] = [
      Self.chunksCall(it: pairs, n: 0), Self.chunksCall(it: "not a list", n: 2),
      Self.chunksCall(it: [1, 2], n: 1),
      TaskMessage(name: "celery.chunks", kwargs: ["it": pairs, "n": 2]),
    ]
    try connection.broker.publish(bad)
    for message in bad {
      do {
        _ = try await app.result(for: message.id).get(timeout: .seconds(30))
        Issue.record("a bad celery.chunks call succeeded: \(message.kwargs)")
      } catch let failure as TaskFailure {
        #expect(failure.type == "TypeError", "\(failure)")
      }
    }
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }
}
