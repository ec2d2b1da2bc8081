import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `tasks.throttled` (`rateLimit "10/s"`) on a real worker: its starts are spaced by the rate,
/// while a task without a limit in the same queue runs at once.
@Suite("Rate limits on a worker", .serialized, .machineSlot)
struct RateLimitIntegrationTests {
  /// (task id, start time) lines written by `tasks.throttled`.
  static func starts(_ path: String) -> [Double] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { line in
      line.split(separator: " ").last.flatMap { Double($0) }
    }.sorted()
  }

  @Test(
    "40 tasks at 10/s are spread over about 4 s; an unlimited task is not held up",
    arguments: BrokerKind.allCases)
  func throttled(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let path = broker.directory + "/starts.txt"
    let worker = try await broker.worker(["-c", "2"])
    let connection = try broker.connection()
    let limited = (0..<40).map { _ in
      TaskMessage(name: "tasks.throttled", args: [.string(path)])
    }
    try connection.broker.publish(limited)
    let quick = TaskMessage(name: "tasks.add", args: [1, 2])
    try connection.broker.publish([quick])
    let app = CeleriacApp(configuration: broker.configuration)
    #expect(try await app.result(for: quick.id).get(timeout: .seconds(30)) == 3)
    let done = try #require(try await app.result(for: quick.id).record()?.dateDone)
    #expect(try await waitUntil(timeout: .seconds(30)) { Self.starts(path).count == 40 })
    let times = Self.starts(path)
    let span = (times.last ?? 0) - (times.first ?? 0)
    // 39 intervals of 0.1 s at least; scheduling may only stretch it.
    #expect(span >= 3.8 && span < 20, "span \(span)")
    // The unlimited task, sent after them, finished long before the limited ones (by the
    // times the worker and the tasks wrote, not by when this test looked).
    #expect(done.timeIntervalSince1970 < (times.last ?? 0) - 1, "done \(done), starts \(times)")
    let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
    // No burst: the worker spaces the starts by 0.1 s; the children's own clocks see that
    // give or take the hand-over to a child.
    #expect(gaps.allSatisfy { $0 >= 0.05 }, "gaps \(gaps)")
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }
}
