import NIOCore

/// One value of the Redis serialization protocol (RESP2, plus the simple RESP3 types).
///
/// Bulk strings keep their bytes as a `ByteBuffer` slice of the buffer they were read from,
/// so parsing a reply copies no payload bytes.
public enum RESPValue: Sendable, Hashable {
  /// A simple string (`+OK\r\n`).
  case simpleString(String)
  /// An error reply (`-ERR message\r\n`), holding the message without the leading `-`.
  case error(String)
  /// An integer (`:42\r\n`).
  case integer(Int64)
  /// A bulk string (`$3\r\nabc\r\n`); `nil` is the null bulk string (`$-1\r\n`).
  case bulkString(ByteBuffer?)
  /// An array (`*2\r\n...`); `nil` is the null array (`*-1\r\n`).
  case array([RESPValue]?)
  /// RESP3 null (`_\r\n`).
  case null
  /// RESP3 boolean (`#t\r\n` or `#f\r\n`).
  case boolean(Bool)
  /// RESP3 double (`,3.14\r\n`).
  case double(Double)
  /// RESP3 out-of-band push data (`>3\r\n...`).
  case push([RESPValue])
}

extension RESPValue {
  /// Whether this is a null bulk string, a null array or RESP3 null.
  public var isNull: Bool {
    switch self {
    case .bulkString(nil), .array(nil), .null: return true
    default: return false
    }
  }

  /// The text of a simple string or of a bulk string decoded as UTF-8; `nil` for other values.
  public var string: String? {
    switch self {
    case .simpleString(let text): return text
    case .bulkString(let buffer?): return String(buffer: buffer)
    default: return nil
    }
  }

  /// The bytes of a bulk string, or the UTF-8 bytes of a simple string; `nil` otherwise.
  public var bytes: ByteBuffer? {
    switch self {
    case .bulkString(let buffer?): return buffer
    case .simpleString(let text): return ByteBuffer(string: text)
    default: return nil
    }
  }

  /// The value of an integer reply, or of a bulk or simple string holding a decimal integer.
  public var int: Int? {
    switch self {
    case .integer(let value): return Int(exactly: value)
    case .bulkString(let buffer?): return Int(String(buffer: buffer))
    case .simpleString(let text): return Int(text)
    default: return nil
    }
  }

  /// The elements of an array or push value; `nil` for other values and for the null array.
  public var array: [RESPValue]? {
    switch self {
    case .array(let elements?): return elements
    case .push(let elements): return elements
    default: return nil
    }
  }

  /// The message of an error reply; `nil` for other values.
  public var errorMessage: String? {
    if case .error(let message) = self { return message }
    return nil
  }

  /// Returns this value, or throws a ``RedisError`` with code `.serverError` if it is an error
  /// reply. Useful on the results of ``RedisConnection/pipeline(_:timeout:)``.
  public func checked() throws(RedisError) -> RESPValue {
    if case .error(let message) = self {
      throw RedisError(code: .serverError(message), message: "Redis error: \(message)")
    }
    return self
  }
}

extension RESPValue: CustomStringConvertible {
  /// A short, human-readable rendering (bulk strings shown as UTF-8 text where possible).
  public var description: String {
    switch self {
    case .simpleString(let text): return text
    case .error(let message): return "(error) \(message)"
    case .integer(let value): return "(integer) \(value)"
    case .bulkString(nil), .array(nil), .null: return "(nil)"
    case .bulkString(let buffer?): return "\"\(String(buffer: buffer))\""
    case .array(let elements?):
      return "[" + elements.map(\.description).joined(separator: ", ") + "]"
    case .boolean(let value): return "(boolean) \(value)"
    case .double(let value): return "(double) \(value)"
    case .push(let elements):
      return ">[" + elements.map(\.description).joined(separator: ", ") + "]"
    }
  }
}
