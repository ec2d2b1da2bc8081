/// A JSON value: what task arguments, keyword arguments and results are made of.
///
/// Only JSON crosses the wire in Celeriac (never pickle), so every value a task receives or
/// returns is one of these.
public enum JSONValue: Sendable, Hashable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// A number without a fraction that fits in 64 bits.
  case int(Int64)
  /// Any other number.
  case double(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object.
  case object([String: JSONValue])
}

extension JSONValue: Codable {
  /// Decodes any JSON value.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Int64.self) {
      self = .int(value)
    } else if let value = try? container.decode(Double.self) {
      self = .double(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// Encodes the value as the JSON it stands for.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let value): try container.encode(value)
    case .int(let value): try container.encode(value)
    case .double(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .array(let value): try container.encode(value)
    case .object(let value): try container.encode(value)
    }
  }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
  ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
  /// `nil` as JSON `null`.
  public init(nilLiteral: ()) { self = .null }
  /// A boolean literal.
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  /// An integer literal.
  public init(integerLiteral value: Int64) { self = .int(value) }
  /// A floating-point literal.
  public init(floatLiteral value: Double) { self = .double(value) }
  /// A string literal.
  public init(stringLiteral value: String) { self = .string(value) }
  /// An array literal.
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  /// A dictionary literal with string keys.
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }
}

extension JSONValue {
  /// The member named `key` of an object (`nil` for a missing key or another kind of value).
  public subscript(key: String) -> JSONValue? {
    if case .object(let members) = self { return members[key] }
    return nil
  }

  /// The elements of an array, if it is one.
  public var arrayValue: [JSONValue]? {
    if case .array(let elements) = self { return elements }
    return nil
  }

  /// The members of an object, if it is one.
  public var objectValue: [String: JSONValue]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// The number as an integer, if it was written as one (no fraction, no exponent).
  public var exactIntValue: Int64? {
    if case .int(let value) = self { return value }
    return nil
  }

  /// The value as an integer, if it is a number without a fraction.
  public var intValue: Int64? {
    switch self {
    case .int(let value): value
    case .double(let value) where value.rounded() == value && abs(value) < 9.2e18: Int64(value)
    default: nil
    }
  }

  /// The value as a double, if it is a number.
  public var doubleValue: Double? {
    switch self {
    case .int(let value): Double(value)
    case .double(let value): value
    default: nil
    }
  }

  /// The value as a string, if it is one.
  public var stringValue: String? {
    if case .string(let value) = self { value } else { nil }
  }

  /// A short human-readable rendering, as a Python `repr` would show it in logs.
  public var compactDescription: String {
    switch self {
    case .null: "null"
    case .bool(let value): value ? "true" : "false"
    case .int(let value): String(value)
    case .double(let value): String(value)
    case .string(let value): "\"\(value)\""
    case .array(let values): "[" + values.map(\.compactDescription).joined(separator: ", ") + "]"
    case .object(let values):
      "{"
        + values.sorted { $0.key < $1.key }
        .map { "\"\($0.key)\": \($0.value.compactDescription)" }
        .joined(separator: ", ") + "}"
    }
  }
}

extension [String: JSONValue] {
  /// An optional member as `read` makes it (see ``Swift/Optional/readIfPresent(_:)``).
  public func optionalMember<T>(_ key: String, _ read: (JSONValue) -> T?) -> T?? {
    self[key].readIfPresent(read)
  }
}

extension Optional<JSONValue> {
  /// An optional member's value as `read` makes it: `.some(nil)` when the member is absent,
  /// `.some` of its value when `read` takes it, and `nil` when it is present but `read`
  /// refuses it (a hand-written decoder then leaves the whole value to `Codable`).
  public func readIfPresent<T>(_ read: (JSONValue) -> T?) -> T?? {
    guard let value = self else { return .some(nil) }
    guard let member = read(value) else { return nil }
    return .some(member)
  }
}
