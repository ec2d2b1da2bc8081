import Testing

@testable import CeleriacSQLite

@Suite("SQLiteBusyBackoff: short sleeps while another connection writes")
struct SQLiteBusyBackoffTests {
  @Test(
    "the sleeps double from the first delay up to the ceiling",
    arguments: [
      (tries: 0, delay: Duration.microseconds(20)), (1, .microseconds(40)),
      (2, .microseconds(80)), (6, .microseconds(1_280)), (7, .milliseconds(2)),
      (50, .milliseconds(2)),
    ])
  func doubling(tries: Int, delay: Duration) {
    let backoff = SQLiteBusyBackoff(timeout: .seconds(10))
    #expect(backoff.delay(afterTries: tries) == delay)
  }

  @Test("the sleeps add up to the timeout, then the statement fails")
  func givesUpAtTheTimeout() {
    let backoff = SQLiteBusyBackoff(timeout: .milliseconds(100))
    var slept = Duration.zero
    var tries = 0
    while let delay = backoff.delay(afterTries: tries) {
      slept += delay
      tries += 1
      #expect(tries < 1_000, "the backoff must end")
      if tries >= 1_000 { break }
    }
    #expect(slept == .milliseconds(100))
    // 20 + 40 + … + 1,280 µs = 2.54 ms, then 2 ms sleeps: 49 of them reach 100 ms.
    #expect(tries == 7 + 49)
  }

  @Test("a zero timeout fails at once")
  func zeroTimeout() {
    #expect(SQLiteBusyBackoff(timeout: .zero).delay(afterTries: 0) == nil)
  }
}
