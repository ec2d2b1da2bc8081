import CeleriacCore
import Testing

/// Celery's rate-limit notation, and hostile spellings of it.
@Suite("Rate limits")
struct RateLimitTests {
  @Test(
    "Celery's notation",
    arguments: [
      ("10/s", 10.0), ("100/m", 100.0 / 60), ("1000/h", 1000.0 / 3600), ("5", 5.0), ("0.5/s", 0.5),
    ])
  func notation(_ text: String, perSecond: Double) throws {
    #expect(abs(try RateLimit(text).perSecond - perSecond) < 1e-9)
  }

  @Test(
    "Hostile rates are refused with the text named",
    arguments: [
      "0/s", "-1/s", "abc", "10/x", "1e300/s", "nan/s", "inf/m", "", "10/s/s", "/s", "1e-300/s",
      "0.0001/h",
    ])
  func hostile(_ text: String) {
    #expect(throws: CeleriacError.self) { _ = try RateLimit(text) }
  }
}
