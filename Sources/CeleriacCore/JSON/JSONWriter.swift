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

  /// Appends `json`, which must already be JSON (punctuation, a number, an encoded value).
  public mutating func appendRaw(_ json: String) {
    bytes.append(contentsOf: json.utf8)
  }

  /// Writes an object whose members appear in the given order.
  public mutating func writeObject(_ members: [(String, JSONValue)]) {
    bytes.append(UInt8(ascii: "{"))
    for (index, member) in members.enumerated() {
      if index > 0 { appendRaw(", ") }
      writeString(member.0)
      appendRaw(": ")
      write(member.1)
    }
    bytes.append(UInt8(ascii: "}"))
  }

  /// Writes any JSON value (object keys sorted).
  public mutating func write(_ value: JSONValue) {
    switch value {
    case .null: appendRaw("null")
    case .bool(let flag): appendRaw(flag ? "true" : "false")
    case .int(let number): appendRaw(String(number))
    case .double(let number): writeDouble(number)
    case .string(let string): writeString(string)
    case .array(let elements):
      bytes.append(UInt8(ascii: "["))
      for (index, element) in elements.enumerated() {
        if index > 0 { appendRaw(", ") }
        write(element)
      }
      bytes.append(UInt8(ascii: "]"))
    case .object(let members):
      writeObject(members.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
  }

  /// Writes a number; JSON has no infinities or NaN, so those become `null`.
  public mutating func writeDouble(_ number: Double) {
    guard number.isFinite else {
      appendRaw("null")
      return
    }
    appendRaw(number.description)
  }

  /// Writes a string with the escapes JSON requires (quotes, backslashes, control characters).
  /// Byte by byte: every byte to escape is ASCII, and the bytes of a multi-byte character
  /// are all 0x80 or above, so they pass through unchanged.
  public mutating func writeString(_ string: String) {
    bytes.append(UInt8(ascii: "\""))
    var needsEscaping = false
    for byte in string.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
      needsEscaping = true
      break
    }
    guard needsEscaping else {
      bytes.append(contentsOf: string.utf8)
      bytes.append(UInt8(ascii: "\""))
      return
    }
    for byte in string.utf8 {
      switch byte {
      case UInt8(ascii: "\""): appendRaw("\\\"")
      case UInt8(ascii: "\\"): appendRaw("\\\\")
      case UInt8(ascii: "\n"): appendRaw("\\n")
      case UInt8(ascii: "\r"): appendRaw("\\r")
      case UInt8(ascii: "\t"): appendRaw("\\t")
      case 0x08: appendRaw("\\b")
      case 0x0C: appendRaw("\\f")
      case ..<0x20:
        let hex = String(byte, radix: 16)
        appendRaw("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
      default:
        bytes.append(byte)
      }
    }
    bytes.append(UInt8(ascii: "\""))
  }

  /// The JSON text of one value.
  public static func string(_ value: JSONValue) -> String {
    var writer = JSONWriter(capacity: 64)
    writer.write(value)
    return writer.text
  }
}
