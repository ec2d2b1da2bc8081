import Testing

@testable import CeleriacWorker

@Suite("GroupCommit: when the supervisor writes what it holds")
struct GroupCommitTests {
  let start = ContinuousClock.now

  @Test("nothing held: nothing to wait for")
  func nothingHeld() {
    var policy = GroupCommit()
    #expect(policy.decide(held: 0, moreExpected: true, now: start) == .flush)
    #expect(policy.deadline == nil)
  }

  @Test("no child busy: an outcome is written at once (a lone round trip never waits)")
  func writesAtOnceWhenNothingElseComes() {
    var policy = GroupCommit()
    #expect(policy.decide(held: 1, moreExpected: false, now: start) == .flush)
  }

  @Test("another child busy: held until the window ends, counted from the first write held")
  func holdsForTheWindow() {
    var policy = GroupCommit(window: .milliseconds(1), maximumBatch: 64)
    let end = start + .milliseconds(1)
    #expect(policy.decide(held: 2, moreExpected: true, now: start) == .hold(until: end))
    #expect(policy.deadline == end)
    // More arrive later in the window: the deadline does not move.
    let later = start + .microseconds(600)
    #expect(policy.decide(held: 4, moreExpected: true, now: later) == .hold(until: end))
    #expect(policy.decide(held: 4, moreExpected: true, now: end) == .flush)
  }

  @Test(
    "written before the window ends once enough are held, or when the busy child finishes",
    arguments: [(held: 64, moreExpected: true), (held: 3, moreExpected: false)])
  func writesEarly(held: Int, moreExpected: Bool) {
    var policy = GroupCommit(window: .milliseconds(1), maximumBatch: 64)
    _ = policy.decide(held: 1, moreExpected: true, now: start)
    let now = start + .microseconds(100)
    #expect(policy.decide(held: held, moreExpected: moreExpected, now: now) == .flush)
  }

  @Test("after a write the next window starts with the next write held")
  func windowRestartsAfterAWrite() {
    var policy = GroupCommit(window: .milliseconds(1), maximumBatch: 64)
    _ = policy.decide(held: 1, moreExpected: true, now: start)
    policy.flushed()
    #expect(policy.deadline == nil)
    let next = start + .milliseconds(5)
    #expect(
      policy.decide(held: 1, moreExpected: true, now: next)
        == .hold(until: next + .milliseconds(1)))
  }
}
