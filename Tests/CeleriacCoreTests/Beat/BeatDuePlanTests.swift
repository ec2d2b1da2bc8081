import CeleriacCore
import Foundation
import Testing

/// The pure decision of what to publish: intervals, late runs, missed runs, start and end.
@Suite("Beat: due plans")
struct BeatDuePlanTests {
  static let t0 = Date(timeIntervalSince1970: 1_796_000_000)  // a whole second

  static func every(
    _ seconds: Double, policy: MissedRunPolicy = .once, start: Date? = nil, end: Date? = nil
  ) -> ScheduleEntry {
    ScheduleEntry(
      name: "e", task: "t", trigger: .every(seconds: seconds), start: start, end: end,
      missedRuns: policy)
  }

  @Test("an interval is on the grid of its start (or the epoch), strictly after")
  func grid() {
    let entry = Self.every(0.25)
    #expect(entry.nextDue(after: Self.t0) == Self.t0.addingTimeInterval(0.25))
    #expect(
      entry.nextDue(after: Self.t0.addingTimeInterval(0.1)) == Self.t0.addingTimeInterval(0.25))
    let started = Self.every(10, start: Self.t0.addingTimeInterval(3))
    #expect(started.nextDue(after: Self.t0) == Self.t0.addingTimeInterval(3))
    #expect(started.nextDue(after: Self.t0.addingTimeInterval(3)) == Self.t0.addingTimeInterval(13))
  }

  @Test("every is not shifted by DST: 3600 s apart across Berlin's spring-forward night")
  func everyIgnoresDST() {
    let entry = Self.every(3_600)
    var cursor = ISO8601.parse("2026-03-28T22:00:00Z")!
    for _ in 0..<6 {
      let next = entry.nextDue(after: cursor)!
      #expect(next.timeIntervalSince(cursor) == 3_600)
      cursor = next
    }
  }

  @Test("late due times within the window are each published")
  func late() {
    let plan = DuePlan.make(
      for: Self.every(1), after: Self.t0, now: Self.t0.addingTimeInterval(4.5),
      catchUpWindow: .seconds(10))
    #expect(plan.publish == (1...4).map { Self.t0.addingTimeInterval(Double($0)) })
    #expect(plan.missed == 0)
  }

  @Test(
    "missed due times give one message (once) or none (skip), never a burst",
    arguments: [MissedRunPolicy.once, .skip])
  func missed(policy: MissedRunPolicy) {
    // Down for an hour with a 1 s entry and a 10 s window.
    let now = Self.t0.addingTimeInterval(3_600.5)
    let plan = DuePlan.make(
      for: Self.every(1, policy: policy), after: Self.t0, now: now, catchUpWindow: .seconds(10))
    let latestMissed = Self.t0.addingTimeInterval(3_590)
    let late = (3_591...3_600).map { Self.t0.addingTimeInterval(Double($0)) }
    #expect(plan.missed == DuePlan.countLimit || plan.missed == 3_590)
    switch policy {
    case .once:
      #expect(plan.publish == [latestMissed] + late)
      #expect(plan.skippedThrough == nil)
    case .skip:
      #expect(plan.publish == late)
      #expect(plan.skippedThrough == latestMissed)
    }
  }

  @Test("a daily cron missed for three days publishes once, for the latest day")
  func missedCron() throws {
    let entry = ScheduleEntry(
      name: "d", task: "t", trigger: .cron(try CronExpression("0 7 * * *"), .gmt))
    let last = ISO8601.parse("2026-12-01T07:00:00Z")!
    let plan = DuePlan.make(
      for: entry, after: last, now: ISO8601.parse("2026-12-04T12:00:00Z")!,
      catchUpWindow: .seconds(10))
    #expect(plan.publish == [ISO8601.parse("2026-12-04T07:00:00Z")!])
    #expect(plan.missed == 3)
  }

  @Test("nothing before start, nothing after end")
  func startAndEnd() {
    let entry = Self.every(
      1, start: Self.t0.addingTimeInterval(5), end: Self.t0.addingTimeInterval(7))
    let plan = DuePlan.make(
      for: entry, after: Self.t0, now: Self.t0.addingTimeInterval(9), catchUpWindow: .seconds(10))
    #expect(plan.publish == [5, 6, 7].map { Self.t0.addingTimeInterval($0) })
    #expect(entry.nextDue(after: Self.t0.addingTimeInterval(7)) == nil)
  }

  @Test("task ids are derived from entry and due time, UUID-shaped")
  func taskIDs() {
    let a = BeatTaskID.make(entry: "tick", due: Self.t0)
    #expect(a == BeatTaskID.make(entry: "tick", due: Self.t0))
    #expect(a != BeatTaskID.make(entry: "tick", due: Self.t0.addingTimeInterval(1)))
    #expect(a != BeatTaskID.make(entry: "tock", due: Self.t0))
    #expect(UUID(uuidString: a) != nil)
  }
}
