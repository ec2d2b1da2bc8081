/// A small, allocation-light JSON writer that keeps the key order it is given, so that
/// Celery's messages and results come out with their fields in Celery's order, and so that the
/// hot paths (a child's run line, Celery envelopes) do not go through `JSONEncoder`.
///
/// Objects passed as `JSONValue.object` are written with sorted keys (deterministic output);
/// ordered objects are written with ``writeObject(_:)``.
public struct JSONWriter: Sendable {
  /// The UTF-8 bytes written so far. Bytes rather than a `String`: an append to an array
  /// costs a fraction of an append to a string, and the supervisor writes a run line and a
  /// result record for every task.
  public private(set) var bytes: [UInt8] = []

  /// The JSON written so far, as text.
  public var text: String { String(decoding: bytes, as: UTF8.self) }

  /// An empty writer with room for `capacity` bytes.
  public init(capacity: Int = 512) {
    bytes.reserveCapacity(capacity)
  }

  /// Appends `json`, a literal that must already be JSON (punctuation, a fixed key, `null`).
  ///
  /// A `StaticString`: its bytes are in the binary, so a short one is appended byte by byte,
  /// with no string to open (a producer appends about 70 of these per message).
  public mutating func appendRaw(_ json: StaticString) {
    json.withUTF8Buffer { literal in
      if literal.count <= 8 {
        for byte in literal { bytes.append(byte) }
      } else {
        bytes.append(contentsOf: literal)
      }
    }
  }

  /// Appends `json`, text that must already be JSON (an encoded value, a number's digits).
  public mutating func appendRaw(contentsOf json: String) {
    // Through the contiguous bytes: a copy of a buffer, where appending the `utf8` view went
    // through the generic sequence path (a few hundred instructions per call).
    var json = json
    json.withUTF8 { bytes.append(contentsOf: $0) }
  }

  /// Writes an integer in decimal, straight into the bytes (no `String` in between).
  public mutating func writeInteger(_ number: Int64) {
    if number < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = number.magnitude
    // 20 digits hold UInt64.max (Int64.min's magnitude is 19 digits).
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
      var start = digits.count
      repeat {
        start -= 1
        digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
      } while magnitude > 0
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
    }
  }

  /// Writes an object whose members appear in the given order.
  public mutating func writeObject(_ members: [(String, JSONValue)]) {
    bytes.append(UInt8(ascii: "{"))
    for (index, member) in members.enumerated() {
      writeMember(member.0, member.1, first: index == 0)
    }
    bytes.append(UInt8(ascii: "}"))
  }

  /// Writes any JSON value (object keys sorted).
  public mutating func write(_ value: JSONValue) {
    switch value {
    case .null: appendRaw("null")
    case .bool(let flag): appendRaw(flag ? "true" : "false")
    case .int(let number): writeInteger(number)
    case .double(let number): writeDouble(number)
    case .string(let string): writeString(string)
    case .array(let elements):
      bytes.append(UInt8(ascii: "["))
      for (index, element) in elements.enumerated() {
        if index > 0 { appendSeparator() }
        write(element)
      }
      bytes.append(UInt8(ascii: "]"))
    case .object(let members):
      bytes.append(UInt8(ascii: "{"))
      for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
        writeMember(member.key, member.value, first: index == 0)
      }
      bytes.append(UInt8(ascii: "}"))
    }
  }

  /// One object member, `"key": value`, after `, ` unless it is the first; the key is escaped.
  public mutating func writeMember(_ key: String, _ value: JSONValue, first: Bool = false) {
    if !first { appendSeparator() }
    writeString(key)
    appendKeySeparator()
    write(value)
  }

  /// `, ` between members and elements, two bytes appended as bytes: the writer's most
  /// frequent append, not worth a buffer copy.
  private mutating func appendSeparator() {
    bytes.append(UInt8(ascii: ","))
    bytes.append(UInt8(ascii: " "))
  }

  /// `: ` between a key and its value.
  private mutating func appendKeySeparator() {
    bytes.append(UInt8(ascii: ":"))
    bytes.append(UInt8(ascii: " "))
  }

  /// Writes a number; JSON has no infinities or NaN, so those become `null`.
  public mutating func writeDouble(_ number: Double) {
    guard number.isFinite else {
      appendRaw("null")
      return
    }
    appendRaw(contentsOf: number.description)
  }

  /// Writes a string with the escapes JSON requires (quotes, backslashes, control characters).
  /// Byte by byte: every byte to escape is ASCII, and the bytes of a multi-byte character
  /// are all 0x80 or above, so they pass through unchanged; the runs between escapes are
  /// copied whole.
  public mutating func writeString(_ string: String) {
    var string = string
    string.withUTF8 { writeQuoted($0) }
  }

  private mutating func writeQuoted(_ utf8: UnsafeBufferPointer<UInt8>) {
    bytes.append(UInt8(ascii: "\""))
    var runStart = 0
    for index in 0..<utf8.count {
      let byte = utf8[index]
      guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
      runStart = index + 1
      switch byte {
      case UInt8(ascii: "\""): appendRaw("\\\"")
      case UInt8(ascii: "\\"): appendRaw("\\\\")
      case UInt8(ascii: "\n"): appendRaw("\\n")
      case UInt8(ascii: "\r"): appendRaw("\\r")
      case UInt8(ascii: "\t"): appendRaw("\\t")
      case 0x08: appendRaw("\\b")
      case 0x0C: appendRaw("\\f")
      default:
        let hex = String(byte, radix: 16)
        appendRaw("\\u")
        for _ in hex.count..<4 { bytes.append(UInt8(ascii: "0")) }
        appendRaw(contentsOf: hex)
      }
    }
    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
    bytes.append(UInt8(ascii: "\""))
  }

  /// The JSON text of one value.
  public static func string(_ value: JSONValue) -> String {
    var writer = JSONWriter(capacity: 64)
    writer.write(value)
    return writer.text
  }
}
