import CeleriacCore
import CeleriacTestSupport
import Foundation
import Testing

@Suite("ISO 8601 dates")
struct ISO8601Tests {
  /// 2026-11-25T08:00:00Z.
  private static let base: TimeInterval = 1_795_593_600

  @Test("formats with six fraction digits and +00:00")
  func formatsCelerysShape() {
    let date = Date(timeIntervalSince1970: Self.base + 0.123456)
    #expect(ISO8601.format(date) == "2026-11-25T08:00:00.123456+00:00")
    #expect(
      ISO8601.format(Date(timeIntervalSince1970: Self.base)) == "2026-11-25T08:00:00.000000+00:00")
    #expect(ISO8601.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000+00:00")
  }

  /// The date and time `gmtime_r` gives for `seconds`, as the formatter writes them.
  private static func reference(_ seconds: Int) -> String {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    func padded(_ value: Int32, _ width: Int) -> String {
      let digits = String(value)
      return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-"
      + "\(padded(parts.tm_mday, 2))T\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):"
      + "\(padded(parts.tm_sec, 2))"
  }

  /// The formatter does its own calendar arithmetic: it must agree with the C library's on
  /// leap days, century years, times before 1970 and both ends of the range.
  @Test("the date and time agree with gmtime_r, from year 1 to year 9999")
  func agreesWithGmtime() {
    var seconds: [Int] = [
      -62_135_596_800, 253_402_300_799, 0, -1, 86_399, 86_400, 951_782_400, 951_868_800,
      -2_203_891_200, 1_709_164_800, 4_107_542_400, -86_401,
    ]
    var generator = SeededGenerator(seed: 8_601)
    for _ in 0..<2_000 {
      seconds.append(Int.random(in: -62_135_596_800...253_402_300_799, using: &generator))
    }
    for second in seconds {
      let text = ISO8601.format(Date(timeIntervalSince1970: TimeInterval(second)))
      #expect(text == Self.reference(second) + ".000000+00:00", "\(second)")
    }
  }

  @Test("parses Celery's date_done to the microsecond")
  func parsesCelerysShape() throws {
    let date = try #require(ISO8601.parse("2026-11-25T08:00:00.123456+00:00"))
    #expect(abs(date.timeIntervalSince1970 - (Self.base + 0.123456)) < 1e-6)
    #expect(ISO8601.format(date) == "2026-11-25T08:00:00.123456+00:00")
  }

  @Test(
    "format then parse keeps the microsecond",
    arguments: [0.0, 0.000001, 0.123456, 0.5, 0.999999, 86_399.654321, -1.25])
  func roundTrip(_ offset: TimeInterval) throws {
    let date = Date(timeIntervalSince1970: Self.base + offset)
    let text = ISO8601.format(date)
    let parsed = try #require(ISO8601.parse(text), "\(text)")
    #expect(abs(parsed.timeIntervalSince1970 - date.timeIntervalSince1970) < 1e-6, "\(text)")
    #expect(ISO8601.format(parsed) == text)
  }

  @Test(
    "parses without fraction, without offset, with Z and with other offsets",
    arguments: [
      ("2026-11-25T08:00:00+00:00", 0.0),
      ("2026-11-25T08:00:00Z", 0.0),
      ("2026-11-25T08:00:00", 0.0),
      ("2026-11-25T08:00:00.123456", 0.123456),
      ("2026-11-25T08:00:00.5+00:00", 0.5),
      ("2026-11-25T08:00:00.123456Z", 0.123456),
      ("2026-11-25T10:00:00+02:00", 0.0),
      ("2026-11-25T03:00:00.250000-05:00", 0.25),
      ("2026-11-25T03:00:00-05:00", 0.0),
    ])
  func parsesVariants(_ text: String, _ fraction: Double) throws {
    let date = try #require(ISO8601.parse(text), "\(text)")
    #expect(abs(date.timeIntervalSince1970 - (Self.base + fraction)) < 1e-6, "\(text)")
  }

  @Test("rejects text that is not a date", arguments: ["", "yesterday", "2026-13-45T99:00:00"])
  func rejectsGarbage(_ text: String) {
    #expect(ISO8601.parse(text) == nil)
  }

  @Test("JSONCoding encodes Dates in the same format and decodes them back")
  func jsonCodingUsesISO8601() throws {
    let record = TaskResultRecord(
      taskID: "t", state: .success, result: 1,
      dateDone: Date(timeIntervalSince1970: Self.base + 0.123456))
    let text = try JSONCoding.encodeString(record)
    #expect(text.contains(#""dateDone":"2026-11-25T08:00:00.123456+00:00""#))
    let decoded = try JSONCoding.decode(TaskResultRecord.self, from: text)
    #expect(abs(decoded.dateDone.timeIntervalSince(record.dateDone)) < 1e-6)
  }

  @Test("JSONCoding rejects a date that is not ISO 8601, naming it")
  func jsonCodingRejectsBadDate() throws {
    let text = #"{"taskID":"t","state":"SUCCESS","dateDone":"last tuesday","retries":0}"#
    #expect {
      try JSONCoding.decode(TaskResultRecord.self, from: text)
    } throws: { error in
      "\(error)".contains("last tuesday")
    }
  }
}
