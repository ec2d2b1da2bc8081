/// A small, allocation-light JSON writer that keeps the key order it is given, so that
/// Celery's messages and results come out with their fields in Celery's order, and so that the
/// hot paths (a child's run line, Celery envelopes) do not go through `JSONEncoder`.
///
/// Objects passed as `JSONValue.object` are written with sorted keys (deterministic output);
/// ordered objects are written with ``writeObject(_:)``.
public struct JSONWriter: Sendable {
  /// The JSON written so far.
  public var text = ""

  /// An empty writer with room for `capacity` bytes.
  public init(capacity: Int = 512) {
    text.reserveCapacity(capacity)
  }

  /// Writes an object whose members appear in the given order.
  public mutating func writeObject(_ members: [(String, JSONValue)]) {
    text.append("{")
    for (index, member) in members.enumerated() {
      if index > 0 { text.append(", ") }
      writeString(member.0)
      text.append(": ")
      write(member.1)
    }
    text.append("}")
  }

  /// Writes any JSON value (object keys sorted).
  public mutating func write(_ value: JSONValue) {
    switch value {
    case .null: text.append("null")
    case .bool(let flag): text.append(flag ? "true" : "false")
    case .int(let number): text.append(String(number))
    case .double(let number): writeDouble(number)
    case .string(let string): writeString(string)
    case .array(let elements):
      text.append("[")
      for (index, element) in elements.enumerated() {
        if index > 0 { text.append(", ") }
        write(element)
      }
      text.append("]")
    case .object(let members):
      writeObject(members.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }
  }

  /// Writes a number; JSON has no infinities or NaN, so those become `null`.
  public mutating func writeDouble(_ number: Double) {
    guard number.isFinite else {
      text.append("null")
      return
    }
    text.append(number.description)
  }

  /// Writes a string with the escapes JSON requires (quotes, backslashes, control characters).
  public mutating func writeString(_ string: String) {
    text.append("\"")
    var needsEscaping = false
    for byte in string.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
      needsEscaping = true
      break
    }
    guard needsEscaping else {
      text.append(string)
      text.append("\"")
      return
    }
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": text.append("\\\"")
      case "\\": text.append("\\\\")
      case "\n": text.append("\\n")
      case "\r": text.append("\\r")
      case "\t": text.append("\\t")
      case "\u{08}": text.append("\\b")
      case "\u{0C}": text.append("\\f")
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          text.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
        } else {
          text.unicodeScalars.append(scalar)
        }
      }
    }
    text.append("\"")
  }

  /// The JSON text of one value.
  public static func string(_ value: JSONValue) -> String {
    var writer = JSONWriter(capacity: 64)
    writer.write(value)
    return writer.text
  }
}
