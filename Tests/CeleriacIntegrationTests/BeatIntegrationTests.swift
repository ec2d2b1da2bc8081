import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Beat with real processes on SQLite and Redis: exactly once across leader kills, dynamic
/// entries, restarts and the missed-run policy, bad schedule files, `worker -B`.
@Suite("Beat: real beat processes", .serialized, .machineSlot)
struct BeatIntegrationTests {
  static let lease = 2.0
  static let tick =
    #"{"entries":[{"name":"tick","task":"tasks.add","args":[1,2],"every":1,"queue":"beat"}]}"#

  /// Asserts that the due times of `entry` are distinct whole seconds with no gap, each with
  /// the task id derived from entry and due time; returns them.
  @discardableResult
  static func expectExactlyOnce(_ published: [BeatBroker.Published], entry: String) -> [Double] {
    let mine = published.filter { $0.entry == entry }
    let dues = mine.map { $0.due.timeIntervalSince1970 }
    #expect(Set(dues).count == dues.count, "a due time was published twice: \(dues)")
    let sorted = dues.sorted()
    if let first = sorted.first {
      let expected = (0..<sorted.count).map { first + Double($0) }
      #expect(sorted == expected, "due seconds are missing: \(sorted)")
    }
    #expect(Set(mine.map(\.id)).count == mine.count)
    #expect(mine.allSatisfy { $0.id == BeatTaskID.make(entry: entry, due: $0.due) })
    return sorted
  }

  @Test(
    "three beats, a 1 s entry, the leader SIGKILLed twice: every due second exactly once",
    arguments: BeatBroker.Kind.allCases)
  func exactlyOnceAcrossLeaderKills(kind: BeatBroker.Kind) async throws {
    let broker = try await BeatBroker(kind)
    let schedule = try broker.scheduleFile(Self.tick)
    let arguments = ["--schedule", schedule, "--leader-lease", "\(Self.lease)"]
    var beats: [BeatProcess] = []
    for _ in 0..<3 { beats.append(try await broker.beat(arguments)) }
    let started = Date()
    var failovers: [Double] = []
    for kill in 0..<2 {
      // Let the current leader publish for a few seconds, then kill it mid-run.
      let publishedBefore = try broker.published().count
      #expect(
        try await waitUntil(timeout: .seconds(15)) {
          try broker.published().count >= publishedBefore + 4
        }
      )
      let leaderPID = try #require(try broker.leaderPID(), "no leader (kill \(kill + 1))")
      let leader = try #require(beats.firstIndex { $0.pid == leaderPID })
      beats[leader].kill9()
      let killedAt = ContinuousClock.now
      var newLeader: Int32?
      #expect(
        try await waitUntil(timeout: .seconds(Self.lease * 4)) {
          newLeader = try broker.leaderPID()
          return newLeader != nil && newLeader != leaderPID
        })
      failovers.append((ContinuousClock.now - killedAt).seconds)
      beats.remove(at: leader)
      await beats.append(try broker.beat(arguments))  // a replacement, as systemd would start
    }
    #expect(try await waitUntil(timeout: .seconds(30)) { Date().timeIntervalSince(started) >= 20 })
    for beat in beats { beat.terminate() }
    let dues = Self.expectExactlyOnce(try broker.published(), entry: "tick")
    print(
      "beat exactly-once (\(kind)): \(dues.count) due seconds, each published once; failovers \(failovers.map { String(format: "%.2f s", $0) })"
    )
    #expect(dues.count >= 18)
    #expect(failovers.allSatisfy { $0 < Self.lease * 3 })
  }

  @Test(
    "a dynamic entry added and disabled is picked up by a running beat",
    arguments: BeatBroker.Kind.allCases)
  func dynamicEntries(kind: BeatBroker.Kind) async throws {
    let broker = try await BeatBroker(kind)
    let schedule = try broker.scheduleFile(#"{"entries":[]}"#)
    let beat = try await broker.beat(["--schedule", schedule])
    let added = try broker.run([
      "beat", "add", "dyn", "tasks.add", "5", "6", "--every", "1", "--queue", "beat",
    ])
    #expect(added.status == 0, "\(added.stderr)")
    #expect(try await waitUntil(timeout: .seconds(10)) { try broker.published().count >= 2 })
    let inspect = try broker.run(["inspect"])
    #expect(inspect.stdout.contains("beat: leader "), "\(inspect.stdout)")
    #expect(inspect.stdout.contains("  dyn: last due "), "\(inspect.stdout)")
    let listing = try broker.run(["beat", "list"])
    #expect(listing.stdout.contains("dyn  dynamic  enabled  tasks.add  every 1s"))
    #expect(try broker.run(["beat", "disable", "dyn"]).status == 0)
    #expect(
      try await waitUntil(timeout: .seconds(10)) { beat.log.contains("1 entries (0 enabled)") })
    let atDisable = try broker.published().count
    // Nothing more may be published: wait (bounded) for an event that must not happen.
    await #expect(try !waitUntil(timeout: .seconds(3)) { try broker.published().count > atDisable })
    #expect(try broker.run(["beat", "enable", "dyn"]).status == 0)
    #expect(try await waitUntil(timeout: .seconds(10)) { try broker.published().count > atDisable })
    #expect(try broker.run(["beat", "remove", "dyn"]).status == 0)
    #expect(
      try await waitUntil(timeout: .seconds(10)) { beat.log.contains("0 entries (0 enabled)") })
    beat.terminate()
    let dues = try broker.published().map(\.due)
    #expect(Set(dues).count == dues.count)
  }

  @Test(
    "all beats restarted after downtime: once publishes one catch-up, skip none, no burst",
    arguments: BeatBroker.Kind.allCases)
  func restartHonoursMissedRunPolicy(kind: BeatBroker.Kind) async throws {
    let broker = try await BeatBroker(kind)
    let schedule = try broker.scheduleFile(
      """
      {"entries":[
        {"name":"once","task":"tasks.add","every":1,"queue":"beat"},
        {"name":"skip","task":"tasks.add","every":1,"queue":"beat","missed_runs":"skip"}]}
      """)
    let window = 1.0
    let arguments = ["--schedule", schedule, "--catch-up-window", "\(window)"]
    let first = try await broker.beat(arguments)
    #expect(try await waitUntil(timeout: .seconds(10)) { try broker.published().count >= 4 })
    #expect(first.terminate() == 0)
    let before = try broker.published()
    let lastOnce = before.filter { $0.entry == "once" }.map(\.due).max()!
    let lastSkip = before.filter { $0.entry == "skip" }.map(\.due).max()!
    // The downtime is what this test is about: five due times of each entry go by.
    try await Task.sleep(for: .seconds(5))
    let restartedAt = Date()
    let second = try await broker.beat(arguments)
    #expect(
      try await waitUntil(timeout: .seconds(10)) {
        try broker.published().contains { $0.due > restartedAt.addingTimeInterval(1) }
      })
    second.terminate()
    let after = try broker.published()
    let onceGap = after.filter { $0.entry == "once" && $0.due > lastOnce && $0.due < restartedAt }
    let skipGap = after.filter {
      $0.entry == "skip" && $0.due > lastSkip
        && $0.due < restartedAt.addingTimeInterval(-window - 0.5)
    }
    // About five due times were missed: once publishes one for them (plus at most one that
    // was only late at restart); skip publishes none of the missed ones.
    #expect((1...2).contains(onceGap.count), "once: \(onceGap.map(\.due))")
    #expect(skipGap.isEmpty, "skip: \(skipGap.map(\.due))")
    #expect(second.log.contains("once missed"))
    #expect(second.log.contains("skip missed"))
    Self.expectExactlyOnce(after.filter { $0.due > restartedAt }, entry: "once")
    let all = after.filter { $0.entry == "once" }.map { $0.due.timeIntervalSince1970 }
    #expect(Set(all).count == all.count)
  }

  @Test(
    "a bad schedule file: one line naming entry and field, and beat does not start",
    arguments: [
      (
        #"{"entries":[{"name":"a","task":"t","cron":"61 * * * *"}]}"#,
        "schedule entry 'a': field 'cron': minute value 61 is out of range 0-59"
      ),
      (
        #"{"entries":[{"name":"a","task":"t","every":1,"colour":"red"}]}"#,
        "schedule entry 'a': field 'colour': is not a schedule entry field"
      ),
      (
        #"{"entries":[{"name":"a","task":"t","cron":"0 7 * * *","timezone":"Nowhere/City"}]}"#,
        "field 'timezone': 'Nowhere/City' is not a known IANA time zone"
      ),
    ])
  func badScheduleFile(json: String, message: String) async throws {
    let broker = try await BeatBroker(.sqlite)
    let schedule = try broker.scheduleFile(json)
    let result = try broker.run(["beat", "--schedule", schedule])
    #expect(result.status == 64)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1 && lines[0].contains(message), "\(result.stderr)")
  }

  @Test("on Redis a beat message is Celery protocol 2: a Python Celery worker runs it")
  func pythonCeleryWorkerServesBeatMessages() async throws {
    let redis = try await RedisSandbox()
    let schedule = redis.directory + "/schedule.json"
    try Data(
      #"{"entries":[{"name":"py-add","task":"tasks.add","args":[2,3],"every":1}]}"#.utf8
    ).write(to: URL(fileURLWithPath: schedule))
    let worker = try await PythonWorkerProcess(sandbox: redis)
    let beat = try await BeatProcess(
      directory: redis.directory,
      connection: ["--broker", redis.brokerURL, "--backend", redis.backendURL],
      arguments: ["--schedule", schedule])
    #expect(
      try await waitUntil(timeout: .seconds(10)) { beat.log.contains("published py-add for ") })
    beat.terminate()
    let line = try #require(
      beat.log.split(separator: "\n").first { $0.contains("published py-add for ") })
    let id = String(line.split(separator: " ").last!)
    let result = try redis.run(["result", id, "--wait", "--timeout", "20"])
    #expect(
      result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "SUCCESS 5",
      "\(result.stderr)\n\(worker.log.suffix(2_000))")
  }

  @Test("worker -B on two workers: each due second published once")
  func embeddedBeatOnTwoWorkers() async throws {
    let broker = try await BeatBroker(.sqlite)
    let schedule = try broker.scheduleFile(Self.tick)
    let arguments = ["-B", "--schedule", schedule, "--leader-lease", "\(Self.lease)", "-c", "1"]
    var workers: [WorkerProcess] = []
    for _ in 0..<2 {
      workers.append(try await WorkerProcess(sandbox: broker.sandbox, arguments: arguments))
    }
    #expect(
      try await waitUntil(timeout: .seconds(20)) { try broker.published().count >= 6 },
      "\(workers.map(\.log).joined(separator: "\n---\n").suffix(2_000))")
    for worker in workers { worker.signal(SIGTERM) }
    for worker in workers { _ = try await worker.waitForExit() }
    Self.expectExactlyOnce(try broker.published(), entry: "tick")
  }
}
