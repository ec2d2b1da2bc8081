import CeleriacCore
import Testing

@testable import CeleriacWorker

@Suite("BrokerHealth")
struct BrokerHealthTests {
  struct Refused: Error, CustomStringConvertible {
    var description: String { "connection refused" }
  }

  let start = ContinuousClock.now

  @Test("an outage is logged once when it starts, reminded every 30 s, and logged when it ends")
  func outageIsLoggedOnce() {
    var health = BrokerHealth()
    #expect(health.succeeded(now: start) == nil)
    let first = health.failed("claim from celery", Refused(), now: start)
    #expect(first?.contains("broker unavailable (claim from celery): connection refused") == true)
    #expect(health.isDown)
    for second in 1..<30 {
      #expect(health.failed("claim", Refused(), now: start + .seconds(second)) == nil)
    }
    let reminder = health.failed("claim", Refused(), now: start + .seconds(30))
    #expect(reminder?.contains("still unavailable after 30s (31 failed calls)") == true)
    #expect(health.succeeded(now: start + .seconds(31))?.contains("back after 31s") == true)
    #expect(!health.isDown)
    #expect(health.succeeded(now: start + .seconds(32)) == nil)
  }

  @Test("a new outage after recovery is logged again at once")
  func secondOutage() {
    var health = BrokerHealth()
    _ = health.failed("claim", Refused(), now: start)
    _ = health.succeeded(now: start + .seconds(1))
    #expect(health.failed("claim", Refused(), now: start + .seconds(2)) != nil)
  }
}
