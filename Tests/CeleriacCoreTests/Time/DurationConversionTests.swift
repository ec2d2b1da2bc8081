import CeleriacCore
import Testing

/// The one set of Duration conversions every target uses: whole units that saturate instead of
/// trapping, and the short form of log lines and policy reasons.
@Suite("Duration conversions")
struct DurationConversionTests {
  static let wholeUnitCases: [(Duration, Int64, Int64, Int64)] = [
    (.zero, 0, 0, 0),
    (.microseconds(1_500), 1, 1_500, 1_500_000),
    (.seconds(2) + .nanoseconds(999), 2_000, 2_000_000, 2_000_000_999),
    (.milliseconds(-1_250), -1_250, -1_250_000, -1_250_000_000),
    (.seconds(Int64.max / 1_000), Int64.max / 1_000 * 1_000, .max, .max),
    (.seconds(Int64.min / 1_000), Int64.min / 1_000 * 1_000, .min, .min),
    (.seconds(Int64.max), .max, .max, .max),
  ]

  @Test("whole milliseconds, microseconds and nanoseconds saturate", arguments: wholeUnitCases)
  func wholeUnits(
    _ duration: Duration, _ milliseconds: Int64, _ microseconds: Int64, _ nanoseconds: Int64
  ) {
    #expect(duration.wholeMilliseconds == milliseconds)
    #expect(duration.wholeMicroseconds == microseconds)
    #expect(duration.wholeNanoseconds == nanoseconds)
  }

  static let shortFormCases: [(Duration, String)] = [
    (.zero, "0ms"), (.milliseconds(250), "250ms"), (.milliseconds(999), "999ms"),
    (.seconds(1), "1s"), (.milliseconds(1_540), "1.5s"), (.seconds(86_400), "86400s"),
    (.milliseconds(-1_500), "-1.5s"),
  ]

  @Test("the short form of log lines and reasons", arguments: shortFormCases)
  func shortForm(_ duration: Duration, _ text: String) {
    #expect(duration.shortDescription == text)
  }
}
