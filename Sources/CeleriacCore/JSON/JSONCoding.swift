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
    let micros = Int(((seconds - whole) * 1_000_000).rounded())
    var time = time_t(whole)
    var parts = tm()
    gmtime_r(&time, &parts)
    // By hand rather than `String(format:)`: a result is stored per task, and this is on the
    // supervisor's thread.
    var text = ""
    text.reserveCapacity(32)
    appendPadded(Int(parts.tm_year) + 1900, width: 4, to: &text)
    text.append("-")
    appendPadded(Int(parts.tm_mon) + 1, width: 2, to: &text)
    text.append("-")
    appendPadded(Int(parts.tm_mday), width: 2, to: &text)
    text.append("T")
    appendPadded(Int(parts.tm_hour), width: 2, to: &text)
    text.append(":")
    appendPadded(Int(parts.tm_min), width: 2, to: &text)
    text.append(":")
    appendPadded(Int(parts.tm_sec), width: 2, to: &text)
    text.append(".")
    appendPadded(min(max(micros, 0), 999_999), width: 6, to: &text)
    text.append("+00:00")
    return text
  }

  /// Appends `value` (not negative) with leading zeros up to `width` digits.
  private static func appendPadded(_ value: Int, width: Int, to text: inout String) {
    let digits = String(value)
    if digits.count < width { text.append(String(repeating: "0", count: width - digits.count)) }
    text.append(digits)
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
