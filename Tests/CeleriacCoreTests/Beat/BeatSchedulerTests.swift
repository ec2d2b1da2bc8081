import Celeriac
import CeleriacCore
import Foundation
import Synchronization
import Testing

/// A ``BeatStore`` in memory with the same atomic semantics as the SQLite and Redis ones,
/// driven by a fake clock, to test the scheduler's logic deterministically.
final class MemoryBeatStore: BeatStore {
  struct State {
    var leader: BeatLeader?
    var runs: [String: Date] = [:]
    var stored: [String: StoredBeatEntry] = [:]
    var revision: Int64 = 0
    var published: [TaskMessage] = []
  }
  let state = Mutex(State())
  let now: @Sendable () -> Date

  init(now: @escaping @Sendable () -> Date) { self.now = now }

  func acquireLeadership(_ holder: String, lease: Duration) throws -> Bool {
    state.withLock { state in
      if let leader = state.leader, leader.holder != holder, leader.expires > now() { return false }
      state.leader = BeatLeader(holder: holder, expires: now().addingTimeInterval(lease.seconds))
      return true
    }
  }
  func resignLeadership(_ holder: String) throws {
    state.withLock { if $0.leader?.holder == holder { $0.leader = nil } }
  }
  func leader() throws -> BeatLeader? { state.withLock { $0.leader } }
  func lastRuns() throws -> [String: Date] { state.withLock { $0.runs } }
  func publish(_ message: TaskMessage, entry: String, due: Date, leader: String) throws
    -> BeatPublishOutcome
  {
    state.withLock { state in
      guard let current = state.leader, current.holder == leader, current.expires > now() else {
        return .notLeader
      }
      if let last = state.runs[entry], last >= due { return .alreadyPublished(last: last) }
      state.published.append(message)
      state.runs[entry] = due
      return .published
    }
  }
  func storedEntries() throws -> [StoredBeatEntry] {
    state.withLock { $0.stored.values.sorted { $0.name < $1.name } }
  }
  func saveEntry(_ entry: ScheduleEntry) throws {
    state.withLock {
      let enabled = $0.stored[entry.name]?.enabled
      $0.stored[entry.name] = StoredBeatEntry(name: entry.name, definition: entry, enabled: enabled)
      $0.revision += 1
    }
  }
  func removeEntry(named name: String) throws -> Bool {
    state.withLock {
      $0.revision += 1
      return $0.stored.removeValue(forKey: name) != nil
    }
  }
  func setEnabled(_ enabled: Bool, forEntryNamed name: String) throws {
    state.withLock {
      $0.stored[name, default: StoredBeatEntry(name: name, definition: nil, enabled: nil)].enabled =
        enabled
      $0.revision += 1
    }
  }
  func revision() throws -> Int64 { state.withLock { $0.revision } }
}

/// A clock the test moves by hand.
final class FakeClock: Sendable {
  private let value: Mutex<Date>
  init(_ start: Date) { value = Mutex(start) }
  var now: Date { value.withLock { $0 } }
  func advance(_ seconds: Double) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("Beat: the scheduler on a fake clock")
struct BeatSchedulerTests {
  static let start = Date(timeIntervalSince1970: 1_796_000_000.2)
  static let app = CeleriacApp(name: "beat-tests")

  static func scheduler(_ store: MemoryBeatStore, _ id: String, entries: [ScheduleEntry])
    throws -> BeatScheduler
  {
    BeatScheduler(
      schedule: try BeatSchedule(entries: entries), store: store,
      configuration: BeatSchedulerConfiguration(holder: id),
      makeMessage: { app.beatMessage(for: $0, due: $1) })
  }

  static let tick = ScheduleEntry(name: "tick", task: "tasks.add", trigger: .every(seconds: 1))

  static func dues(_ store: MemoryBeatStore) -> [Double] {
    store.state.withLock { $0.published }.compactMap {
      $0.headers?[BeatDefaults.dueHeader]?.stringValue.flatMap(ISO8601.parse)?
        .timeIntervalSince1970
    }
  }

  @Test("three beats, leaders stopping: every due second published exactly once")
  func exactlyOnceAcrossFailover() throws {
    let clock = FakeClock(Self.start)
    let store = MemoryBeatStore(now: { clock.now })
    let beats = try (0..<3).map { try Self.scheduler(store, "beat\($0)", entries: [Self.tick]) }
    var dead: Set<Int> = []
    for step in 0..<400 {  // 40 s in 0.1 s steps
      if step == 100 || step == 250,
        let leader = beats.indices.first(where: {
          !dead.contains($0) && beats[$0].isLeader
        })
      {
        dead.insert(leader)  // "SIGKILLed": it simply stops turning
      }
      for index in beats.indices where !dead.contains(index) {
        _ = beats[index].turn(now: clock.now)
      }
      clock.advance(0.1)
    }
    let dues = Self.dues(store)
    #expect(dues.count == Set(dues).count, "a due time was published twice")
    let first = dues.first ?? 0
    #expect(dues == (0..<dues.count).map { first + Double($0) }, "a due second is missing")
    #expect(dues.count >= 38)
    let ids = store.state.withLock { $0.published }.map(\.id)
    #expect(Set(ids).count == ids.count)
  }

  @Test("a dynamic entry is picked up, and a disabled one stops, without a restart")
  func dynamicEntries() throws {
    let clock = FakeClock(Self.start)
    let store = MemoryBeatStore(now: { clock.now })
    let beat = try Self.scheduler(store, "beat", entries: [])
    func run(_ seconds: Double) {
      for _ in 0..<Int(seconds * 10) {
        _ = beat.turn(now: clock.now)
        clock.advance(0.1)
      }
    }
    run(2)
    #expect(Self.dues(store).isEmpty)
    try store.saveEntry(Self.tick)
    run(5)
    let afterAdd = Self.dues(store).count
    #expect((3...5).contains(afterAdd))
    try store.setEnabled(false, forEntryNamed: "tick")
    run(1.5)
    let atDisable = Self.dues(store).count
    run(5)
    #expect(Self.dues(store).count == atDisable)
  }

  @Test(
    "a restart after downtime honours the missed-run policy",
    arguments: [MissedRunPolicy.once, .skip])
  func restart(policy: MissedRunPolicy) throws {
    let clock = FakeClock(Self.start)
    let store = MemoryBeatStore(now: { clock.now })
    var entry = Self.tick
    entry.missedRuns = policy
    let first = try Self.scheduler(store, "first", entries: [entry])
    for _ in 0..<50 {
      _ = first.turn(now: clock.now)
      clock.advance(0.1)
    }
    first.resign()
    let before = Self.dues(store)
    clock.advance(120)  // all beats down for two minutes
    let second = try Self.scheduler(store, "second", entries: [entry])
    let report = second.turn(now: clock.now)
    let caughtUp = Self.dues(store).dropFirst(before.count)
    let window = BeatDefaults.catchUpWindow.seconds
    let missed = caughtUp.filter { $0 < clock.now.timeIntervalSince1970 - window }
    #expect(missed.count == (policy == .once ? 1 : 0))
    #expect(caughtUp.count <= Int(window) + 1)
    #expect(report.events.contains { if case .missed = $0 { true } else { false } })
  }

  @Test("a wall-clock step back publishes nothing twice; a step forward gives one catch-up")
  func wallClockSteps() throws {
    let clock = FakeClock(Self.start)
    let store = MemoryBeatStore(now: { clock.now })
    let beat = try Self.scheduler(store, "beat", entries: [Self.tick])
    func run(_ seconds: Double) {
      for _ in 0..<Int(seconds * 10) {
        _ = beat.turn(now: clock.now)
        clock.advance(0.1)
      }
    }
    run(5)
    let beforeBack = Self.dues(store)
    clock.advance(-3_600)  // the machine's clock is stepped back an hour
    run(5)
    #expect(Self.dues(store) == beforeBack, "nothing is due again after a step back")
    clock.advance(3_600 - 5)  // back where it was
    run(3)
    let afterBack = Self.dues(store)
    #expect(Set(afterBack).count == afterBack.count)
    #expect(afterBack.count > beforeBack.count)
    clock.advance(3_600)  // stepped forward an hour: one catch-up (missed_runs once), no burst
    run(1)
    let jumped = Self.dues(store).dropFirst(afterBack.count)
    let window = BeatDefaults.catchUpWindow.seconds
    #expect(jumped.filter { $0 < clock.now.timeIntervalSince1970 - window - 1 }.count == 1)
    #expect(jumped.count <= Int(window) + 2)
  }
}
