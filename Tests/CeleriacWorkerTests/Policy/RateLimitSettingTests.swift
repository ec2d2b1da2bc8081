import CeleriacCore
import Testing

@testable import CeleriacWorker

/// Rates as `rate_limit` requests carry them (Celery sends strings, numbers or `None`).
@Suite("Rate limits from remote control")
struct RateLimitSettingTests {
  @Test(
    "wire values: rates, numbers, and 0 / \"\" / null lifting the limit",
    arguments: [
      (JSONValue.string("10/s"), 10.0), (.string("60/m"), 1), (.string("7200/h"), 2),
      (.string("5"), 5), (.int(3), 3), (.double(0.5), 0.5), (.string(" 2/s "), 2),
      (.string("0"), 0), (.string("0/m"), 0), (.string(""), 0), (.null, 0), (.int(0), 0),
    ])
  func accepted(value: JSONValue, perSecond: Double) throws {
    switch try RateLimitSetting(wire: value) {
    case .unlimited: #expect(perSecond == 0)
    case .limited(let limit): #expect(abs(limit.perSecond - perSecond) < 1e-9)
    }
  }

  @Test(
    "refused: bad units, negatives, non-numbers, huge texts, other JSON",
    arguments: [
      JSONValue.string("ten/s"), .string("10/d"), .string("-1/s"), .string("1/s/s"),
      .string(String(repeating: "9", count: 100)), .string("nan"), .string("inf/s"),
      .bool(true), .array([]), .int(-4), .double(.infinity), .string("1e-9/s"),
    ])
  func refused(value: JSONValue) {
    #expect(throws: CeleriacError.self) { try RateLimitSetting(wire: value) }
  }
}
