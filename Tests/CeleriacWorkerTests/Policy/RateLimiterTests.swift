import CeleriacCore
import Testing

@testable import CeleriacWorker

/// The rate limiter's slots, on a fake clock.
@Suite("Rate limiter")
struct RateLimiterTests {
  @Test("Starts are spaced by the rate; a task back at its reserved slot takes no other")
  func slots() throws {
    var limiter = RateLimiter()
    let limit = try RateLimit("10/s")
    let first = limiter.slot(for: TaskMessage(name: "tasks.throttled"), limit: limit, now: 100)
    let second = limiter.slot(for: TaskMessage(name: "tasks.throttled"), limit: limit, now: 100)
    var back = TaskMessage(id: "deferred", name: "tasks.throttled")
    let third = limiter.slot(for: back, limit: limit, now: 100.01)
    #expect(first == nil)
    #expect(abs((second ?? 0) - 100.1) < 1e-9 && abs((third ?? 0) - 100.2) < 1e-9)
    // The second one started at its slot; the third comes back at its own.
    var started = TaskMessage(name: "tasks.throttled")
    started.headers = [RateLimiter.slotHeader: .double(second ?? 0)]
    _ = limiter.slot(for: started, limit: limit, now: 100.1)
    back.headers = [RateLimiter.slotHeader: .double(third ?? 0)]
    let returned = limiter.slot(for: back, limit: limit, now: 100.2)
    #expect(returned == nil)
    let other = limiter.slot(for: TaskMessage(name: "tasks.other"), limit: limit, now: 100)
    #expect(other == nil)
    let later = limiter.slot(for: TaskMessage(name: "tasks.throttled"), limit: limit, now: 200)
    #expect(later == nil)
  }

  @Test("A slot header this limiter did not hand out does not let a task skip the limit")
  func hostileSlot() throws {
    var limiter = RateLimiter()
    let limit = try RateLimit("1/s")
    var message = TaskMessage(name: "tasks.throttled")
    let first = limiter.slot(for: message, limit: limit, now: 10)
    #expect(first == nil)
    for header: JSONValue in [.double(.infinity), "soon", .double(0), .double(10)] {
      message.headers = [RateLimiter.slotHeader: header]
      let slot = limiter.slot(for: message, limit: limit, now: 10)
      #expect(slot != nil, "\(header)")
    }
  }
}
