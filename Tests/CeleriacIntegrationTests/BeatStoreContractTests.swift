import Celeriac
import CeleriacTestSupport
import Foundation
import Synchronization
import Testing

/// The ``BeatStore`` contract, on both stores: the lease, the atomic publish (lease check +
/// last-run check + enqueue + record), concurrent publishers, and dynamic entries.
@Suite("Beat: the store contract (SQLite and Redis)", .machineSlot)
struct BeatStoreContractTests {
  static func open(_ broker: BeatBroker) throws -> (any BeatStore, Connection) {
    var urls = CeleriacConfiguration()
    let connection = broker.connection
    urls.brokerURL = connection[1]
    urls.backendURL = connection.count > 3 ? connection[3] : connection[1]
    let opened = try ConnectionFactory.open(urls)
    return (try BeatStores.open(for: opened.broker), opened)
  }

  static func message(_ entry: String, _ due: Date) -> TaskMessage {
    TaskMessage(id: BeatTaskID.make(entry: entry, due: due), name: "tasks.noop", queue: "beat")
  }

  @Test("lease, atomic publish, expiry and resignation", arguments: BeatBroker.Kind.allCases)
  func leaseAndPublish(kind: BeatBroker.Kind) async throws {
    let broker = try await BeatBroker(kind)
    let (store, connection) = try Self.open(broker)
    let t1 = Date(timeIntervalSince1970: 1_796_000_001)
    let t2 = t1.addingTimeInterval(1)
    #expect(try store.acquireLeadership("a", lease: .seconds(30)))
    #expect(try !store.acquireLeadership("b", lease: .seconds(30)))
    #expect(try store.acquireLeadership("a", lease: .seconds(30)))
    #expect(try store.leader()?.holder == "a")
    #expect(
      try store.publish(Self.message("e", t1), entry: "e", due: t1, leader: "b") == .notLeader)
    #expect(
      try store.publish(Self.message("e", t1), entry: "e", due: t1, leader: "a") == .published)
    #expect(
      try store.publish(Self.message("e", t1), entry: "e", due: t1, leader: "a")
        == .alreadyPublished(last: t1))
    let earlier = t1.addingTimeInterval(-5)
    #expect(
      try store.publish(Self.message("e", earlier), entry: "e", due: earlier, leader: "a")
        == .alreadyPublished(last: t1))
    #expect(
      try store.publish(Self.message("e", t2), entry: "e", due: t2, leader: "a") == .published)
    #expect(try store.lastRuns()["e"] == t2)
    #expect(try connection.broker.depths(of: ["beat"])["beat"] == 2)

    // A lease that runs out passes to another beat; the old holder can no longer publish.
    #expect(try store.acquireLeadership("a", lease: .milliseconds(200)))
    #expect(
      try await waitUntil(timeout: .seconds(5)) {
        try store.acquireLeadership("b", lease: .seconds(30))
      })
    let t3 = t2.addingTimeInterval(1)
    #expect(
      try store.publish(Self.message("e", t3), entry: "e", due: t3, leader: "a") == .notLeader)
    // Resigning frees it at once.
    try store.resignLeadership("b")
    #expect(try store.leader() == nil)
    #expect(try store.acquireLeadership("a", lease: .seconds(30)))
    #expect(try connection.broker.depths(of: ["beat"])["beat"] == 2)
  }

  @Test(
    "eight threads publishing one due time: exactly one message",
    arguments: BeatBroker.Kind.allCases)
  func concurrentPublishers(kind: BeatBroker.Kind) async throws {
    let broker = try await BeatBroker(kind)
    let (store, connection) = try Self.open(broker)
    #expect(try store.acquireLeadership("a", lease: .seconds(30)))
    let published = Mutex(0)
    let due = Date(timeIntervalSince1970: 1_796_000_100)
    // Each thread has its own connection, as separate beat processes would.
    let stores = try (0..<8).map { _ in try Self.open(broker).0 }
    let threads = stores.map { own in
      Thread {
        guard
          let outcome = try? own.publish(
            Self.message("c", due), entry: "c", due: due, leader: "a")
        else { return }
        if outcome == .published { published.withLock { $0 += 1 } }
      }
    }
    for thread in threads { thread.start() }
    #expect(try await waitUntil(timeout: .seconds(20)) { threads.allSatisfy(\.isFinished) })
    #expect(published.withLock { $0 } == 1)
    #expect(try connection.broker.depths(of: ["beat"])["beat"] == 1)
  }

  @Test(
    "dynamic entries and overrides, with a revision that moves", arguments: BeatBroker.Kind.allCases
  )
  func dynamicEntries(kind: BeatBroker.Kind) async throws {
    let broker = try await BeatBroker(kind)
    let (store, _) = try Self.open(broker)
    let start = try store.revision()
    let entry = ScheduleEntry(
      name: "dyn", task: "tasks.add", args: [1, 2],
      trigger: .cron(try CronExpression("0 7 * * mon"), TimeZone(identifier: "Europe/Berlin")!))
    try store.saveEntry(entry)
    let afterSave = try store.revision()
    #expect(afterSave != start)
    try store.setEnabled(false, forEntryNamed: "from-file")
    #expect(try store.revision() != afterSave)
    let stored = try store.storedEntries()
    #expect(stored.first { $0.name == "dyn" }?.definition == entry)
    #expect(
      stored.first { $0.name == "from-file" }
        == StoredBeatEntry(name: "from-file", definition: nil, enabled: false))
    #expect(try store.removeEntry(named: "dyn"))
    #expect(try !store.removeEntry(named: "dyn"))
    #expect(try store.storedEntries().map(\.name) == ["from-file"])
  }
}
