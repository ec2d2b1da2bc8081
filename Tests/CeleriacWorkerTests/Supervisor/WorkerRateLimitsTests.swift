import CeleriacCore
import Testing

@testable import CeleriacWorker

@Suite("WorkerRateLimits")
struct WorkerRateLimitsTests {
  let start = ContinuousClock.now

  @Test("remote control's limit wins over the declared one, and 'unlimited' lifts it")
  func overrides() throws {
    var limits = WorkerRateLimits()
    let declared = try RateLimit("10/s")
    #expect(limits.limit(of: "tasks.add", declared: declared) == declared)
    limits.set(.limited(try RateLimit("2/m")), for: "tasks.add")
    #expect(limits.limit(of: "tasks.add", declared: declared) == (try RateLimit("2/m")))
    limits.set(.unlimited, for: "tasks.add")
    #expect(limits.limit(of: "tasks.add", declared: declared) == nil)
    #expect(limits.limit(of: "tasks.other", declared: declared) == declared)
  }

  @Test("the next wake-up is the earliest still to come")
  func nextWakeup() {
    var limits = WorkerRateLimits()
    for offset in [3, 1, 2] { limits.noteWakeup(start + .seconds(offset)) }
    #expect(limits.nextWakeup(after: start) == start + .seconds(1))
    #expect(limits.nextWakeup(after: start + .seconds(1)) == start + .seconds(2))
    #expect(limits.nextWakeup(after: start + .seconds(3)) == nil)
  }

  @Test(
    "a full list keeps the earliest wake-ups: a later one is dropped, an earlier one replaces the latest"
  )
  func bounded() {
    var limits = WorkerRateLimits()
    for offset in 1...WorkerRateLimits.maximumWakeups {
      limits.noteWakeup(start + .seconds(offset))
    }
    limits.noteWakeup(start + .seconds(WorkerRateLimits.maximumWakeups + 5))
    limits.noteWakeup(start + .milliseconds(500))
    #expect(limits.nextWakeup(after: start) == start + .milliseconds(500))
    var seen = 0
    var now = start
    while let next = limits.nextWakeup(after: now) {
      seen += 1
      now = next
    }
    #expect(seen == WorkerRateLimits.maximumWakeups)
    #expect(now == start + .seconds(WorkerRateLimits.maximumWakeups - 1))
  }
}
