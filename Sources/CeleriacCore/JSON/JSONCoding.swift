import Foundation

/// The JSON encoder and decoder Celeriac uses everywhere, so that dates and key order agree.
public enum JSONCoding {
  /// Encodes `value` to compact JSON with sorted keys and ISO 8601 dates.
  public static func encode<T: Encodable>(_ value: T) throws -> Data {
    try encoder.encode(value)
  }

  /// Encodes `value` to a compact JSON string.
  public static func encodeString<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try encode(value), as: UTF8.self)
  }

  /// Decodes a `T` from JSON bytes.
  public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    try decoder.decode(type, from: data)
  }

  /// Decodes a `T` from a JSON string.
  public static func decode<T: Decodable>(_ type: T.Type, from string: String) throws -> T {
    try decode(type, from: Data(string.utf8))
  }

  /// Converts any `Encodable` value to a `JSONValue`.
  public static func jsonValue<T: Encodable>(_ value: T) throws -> JSONValue {
    if let value = value as? JSONValue { return value }
    return try decode(JSONValue.self, from: try encode(value))
  }

  /// Converts a `JSONValue` to any `Decodable` type.
  public static func value<T: Decodable>(_ type: T.Type, from json: JSONValue) throws -> T {
    if let json = json as? T { return json }
    return try decode(type, from: try encode(json))
  }

  // Made once: building a coder costs more than coding a small message. Both are safe to
  // share between threads (their options are not changed after this).
  private static let encoder = makeEncoder()
  private static let decoder = makeDecoder()

  private static func makeEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .custom { date, encoder in
      var container = encoder.singleValueContainer()
      try container.encode(ISO8601.format(date))
    }
    return encoder
  }

  private static func makeDecoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .custom { decoder in
      let container = try decoder.singleValueContainer()
      let text = try container.decode(String.self)
      guard let date = ISO8601.parse(text) else {
        throw DecodingError.dataCorruptedError(
          in: container, debugDescription: "not an ISO 8601 date: \(text)")
      }
      return date
    }
    return decoder
  }
}

/// ISO 8601 timestamps with fractional seconds, as Celery writes `date_done` and `eta`.
public enum ISO8601 {
  /// The earliest time ISO 8601's four-digit years can write: 0001-01-01T00:00:00Z.
  public static let earliest = Date(timeIntervalSince1970: -62_135_596_800)
  /// The latest time ISO 8601's four-digit years can write: 9999-12-31T23:59:59Z.
  public static let latest = Date(timeIntervalSince1970: 253_402_300_799)

  /// Formats `date` as `2026-11-25T08:00:00.123456+00:00`; a date outside
  /// ``earliest``…``latest`` (or NaN) is written as the nearest bound rather than trapping.
  public static func format(_ date: Date) -> String {
    let raw = date.timeIntervalSince1970
    let seconds =
      raw.isNaN
      ? 0
      : min(max(raw, earliest.timeIntervalSince1970), latest.timeIntervalSince1970)
    let whole = seconds.rounded(.down)
    let micros = min(max(Int(((seconds - whole) * 1_000_000).rounded()), 0), 999_999)
    let total = Int(whole)
    let days = (total >= 0 ? total : total - 86_399) / 86_400
    let secondOfDay = total - days * 86_400
    let (year, month, day) = civilDate(daysSince1970: days)
    // By hand into 32 bytes: a result is stored per task, on the supervisor's thread, and
    // `gmtime_r` (which takes glibc's time zone lock) with a string per field cost ~19,000
    // instructions a date.
    return String(unsafeUninitializedCapacity: 32) { bytes in
      var index = 0
      func put(_ value: Int, width: Int) {
        var rest = value
        for position in stride(from: index + width - 1, through: index, by: -1) {
          bytes[position] = UInt8(ascii: "0") + UInt8(rest % 10)
          rest /= 10
        }
        index += width
      }
      func put(_ character: Unicode.Scalar) {
        bytes[index] = UInt8(ascii: character)
        index += 1
      }
      put(year, width: 4)
      put("-")
      put(month, width: 2)
      put("-")
      put(day, width: 2)
      put("T")
      put(secondOfDay / 3_600, width: 2)
      put(":")
      put(secondOfDay / 60 % 60, width: 2)
      put(":")
      put(secondOfDay % 60, width: 2)
      put(".")
      put(micros, width: 6)
      for character in "+00:00".unicodeScalars { put(character) }
      return index
    }
  }

  /// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
  /// `civil_from_days`: eras of 400 years, years starting on 1 March).
  static func civilDate(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
    let shifted = days + 719_468  // days since 0000-03-01
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 = March
    let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
    let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  /// Parses an ISO 8601 timestamp with or without fractional seconds and offset.
  public static func parse(_ text: String) -> Date? {
    let strategies: [Date.ISO8601FormatStyle] = [
      .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(
        separator: .colon),
      .iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(
        separator: .colon),
    ]
    var normalized = text
    if !normalized.hasSuffix("Z") && !normalized.contains("+") && normalized.count <= 26 {
      normalized += "+00:00"
    }
    for style in strategies {
      if let date = try? Date(normalized, strategy: style) { return date }
    }
    return nil
  }
}
