import Celeriac
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `app.group` and `app.restoreGroup` from Swift on a Celeriac worker, on both brokers.
@Suite("Groups from Swift on both brokers", .serialized, .machineSlot)
struct GroupTests {
  @Test(
    "values in order, per-member states with a failure, restored from the id alone",
    arguments: BrokerKind.allCases)
  func groupOnBroker(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let worker = try await broker.worker(["-c", "2"])
    let app = CeleriacApp(configuration: broker.configuration)

    let group = try await app.group((0..<10).map { CanvasTests.add($0, $0) })
    #expect(try await group.get(timeout: .seconds(30)) == (0..<10).map { .int($0 * 2) })
    #expect(try await group.states() == Array(repeating: .success, count: 10))
    #expect(try await group.isReady())

    let restored = try #require(try app.restoreGroup(group.id))
    #expect(restored.id == group.id && restored.results.map(\.id) == group.results.map(\.id))
    #expect(try await restored.get(timeout: .seconds(10)) == (0..<10).map { .int($0 * 2) })

    let mixed = try await app.group([
      CanvasTests.add(1, 1), Signature("tasks.fail", args: ["boom"]), CanvasTests.add(2, 2),
    ])
    do {
      _ = try await mixed.get(timeout: .seconds(30))
      Issue.record("a group with a failing member succeeded")
    } catch let failure as TaskFailure {
      #expect(failure.type == "ValueError" && failure.message == "boom")
    }
    // get() stops at the first failure; the last member is waited for on its own.
    #expect(try await mixed.results[2].get(timeout: .seconds(30)) == 4)
    #expect(try await mixed.states() == [.success, .failure, .success])
    let again = try #require(try app.restoreGroup(mixed.id))
    #expect(try await again.states() == [.success, .failure, .success])

    #expect(try app.restoreGroup("no-such-group") == nil)
    #expect(throws: CeleriacError.self) { _ = try app.restoreGroup("") }
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }
}
