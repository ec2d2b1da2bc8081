import Testing

@testable import CeleriacWorker

@Suite("DepthReadSchedule: depth reads cost at most a share of the loop")
struct DepthReadScheduleTests {
  let start = ContinuousClock.now

  @Test("the first read is always allowed")
  func firstRead() {
    #expect(DepthReadSchedule().allows(now: start))
  }

  @Test(
    "a read of t waits t × (1 / share − 1) after it ended (share 25 %)",
    arguments: [
      (took: Duration.microseconds(50), wait: Duration.microseconds(150)),
      (.milliseconds(80), .milliseconds(240)),
    ])
  func waitsInProportion(took: Duration, wait: Duration) {
    var schedule = DepthReadSchedule(share: 0.25)
    let end = start + took
    schedule.record(from: start, to: end)
    #expect(schedule.notBefore == end + wait)
    #expect(!schedule.allows(now: end + wait - .microseconds(1)))
    #expect(schedule.allows(now: end + wait))
  }

  @Test("a share out of range is clamped, NaN means the default")
  func clampsTheShare() {
    #expect(DepthReadSchedule(share: 5).share == 1)
    #expect(DepthReadSchedule(share: 0).share == 0.001)
    #expect(DepthReadSchedule(share: .nan).share == DepthReadSchedule.defaultShare)
  }
}
