/// Why a text is not a JSON value ``JSONValue/init(parsing:)`` accepts.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private enum Kind: String {
      case unexpectedEnd = "unexpected end of input"
      case unexpectedByte = "unexpected character"
      case invalidNumber = "invalid number"
      case numberOutOfRange = "number out of range"
      case invalidString = "invalid string"
      case invalidUTF8 = "invalid UTF-8"
      case tooDeep = "nested too deeply"
      case trailingData = "data after the value"
    }
    private let kind: Kind

    /// The text ends inside a value.
    public static let unexpectedEnd = Code(kind: .unexpectedEnd)
    /// A byte that cannot start or continue a value here.
    public static let unexpectedByte = Code(kind: .unexpectedByte)
    /// A number that is not RFC 8259's grammar (a leading zero, a bare `.` or `e`, …).
    public static let invalidNumber = Code(kind: .invalidNumber)
    /// A number too large for a `Double` (`1e400`).
    public static let numberOutOfRange = Code(kind: .numberOutOfRange)
    /// A string with a bad escape, a lone surrogate or an unescaped control character.
    public static let invalidString = Code(kind: .invalidString)
    /// A string whose bytes are not UTF-8.
    public static let invalidUTF8 = Code(kind: .invalidUTF8)
    /// Arrays and objects nested deeper than ``JSONParser/maximumDepth``.
    public static let tooDeep = Code(kind: .tooDeep)
    /// Something other than whitespace after the value.
    public static let trailingData = Code(kind: .trailingData)

    /// The reason in words.
    public var description: String { kind.rawValue }
  }

  /// What is wrong.
  public let code: Code
  /// The byte offset where it was found.
  public let offset: Int

  /// An error of `code` at `offset`.
  public init(_ code: Code, at offset: Int) {
    self.code = code
    self.offset = offset
  }

  /// "invalid number at byte 12".
  public var description: String { "\(code) at byte \(offset)" }
}

/// A strict RFC 8259 parser from UTF-8 bytes straight to ``JSONValue``, for the hot paths
/// (every message a worker claims, every line a child sends) where `JSONDecoder` with
/// ``JSONValue``'s `Codable` conformance costs several times more.
///
/// It reads numbers as that conformance does: an integer literal that fits in 64 bits is
/// `.int` and a longer one `.double`; one with a fraction or an exponent is read as a `Double`
/// and is `.int` when its value is whole and within `Int64`'s range (`1.0`, `1e3`). Duplicate keys keep the last
/// value (as Python's `json` does). Nesting is bounded, so hostile input cannot exhaust the
/// stack.
public struct JSONParser: ~Copyable {
  /// The deepest nesting of arrays and objects accepted.
  public static let maximumDepth = 512

  // Internal, not private: the pull reader (`JSONParser+Reading.swift`) moves through the
  // same bytes with the same checks.
  let bytes: UnsafeBufferPointer<UInt8>
  var index = 0
  var depth = 0

  init(_ bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
  }

  /// Parses one JSON value (with optional whitespace around it) from `bytes`.
  public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError)
    -> JSONValue
  {
    var parser = JSONParser(bytes)
    parser.skipWhitespace()
    let value = try parser.parseValue()
    parser.skipWhitespace()
    guard parser.index == bytes.count else {
      throw JSONParseError(.trailingData, at: parser.index)
    }
    return value
  }

  // MARK: - Values

  mutating func parseValue() throws(JSONParseError) -> JSONValue {
    guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
    case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
    case UInt8(ascii: "n"): return try parseLiteral("null", .null)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw JSONParseError(.unexpectedByte, at: index)
    }
  }

  private mutating func parseLiteral(_ word: StaticString, _ value: JSONValue)
    throws(JSONParseError) -> JSONValue
  {
    let count = word.utf8CodeUnitCount
    guard bytes.count - index >= count else { throw JSONParseError(.unexpectedEnd, at: index) }
    let start = word.utf8Start
    for offset in 0..<count where bytes[index + offset] != start[offset] {
      throw JSONParseError(.unexpectedByte, at: index + offset)
    }
    index += count
    return value
  }

  mutating func enterContainer() throws(JSONParseError) {
    depth += 1
    guard depth <= Self.maximumDepth else { throw JSONParseError(.tooDeep, at: index) }
    index += 1  // `[` or `{`
    skipWhitespace()
  }

  private mutating func parseArray() throws(JSONParseError) -> JSONValue {
    try enterContainer()
    var elements: [JSONValue] = []
    if try consume(UInt8(ascii: "]")) {
      depth -= 1
      return .array(elements)
    }
    while true {
      elements.append(try parseValue())
      skipWhitespace()
      if try consume(UInt8(ascii: "]")) { break }
      try expect(UInt8(ascii: ","))
      skipWhitespace()
    }
    depth -= 1
    return .array(elements)
  }

  private mutating func parseObject() throws(JSONParseError) -> JSONValue {
    try enterContainer()
    // The members first, then one dictionary of the right size: growing it member by member
    // rehashed every key at each doubling (a third of parsing a Celery envelope).
    var members: [(key: String, value: JSONValue)] = []
    if try consume(UInt8(ascii: "}")) {
      depth -= 1
      return .object([:])
    }
    while true {
      guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
      guard bytes[index] == UInt8(ascii: "\"") else {
        throw JSONParseError(.unexpectedByte, at: index)
      }
      let key = try parseString()
      skipWhitespace()
      try expect(UInt8(ascii: ":"))
      skipWhitespace()
      members.append((key, try parseValue()))
      skipWhitespace()
      if try consume(UInt8(ascii: "}")) { break }
      try expect(UInt8(ascii: ","))
      skipWhitespace()
    }
    depth -= 1
    var fields = [String: JSONValue](minimumCapacity: members.count)
    for member in members { fields[member.key] = member.value }  // a repeated key: the last
    return .object(fields)
  }

  // MARK: - Strings

  /// Reads a string starting at its opening quote.
  mutating func parseString() throws(JSONParseError) -> String {
    index += 1  // the opening quote
    let start = index
    // Fast path: no escapes, so the bytes between the quotes are the string. ASCII is valid
    // UTF-8 as it stands, and `String(decoding:as:)` is specialised here, so the scan also
    // notes whether every byte is ASCII: the generic `String(validating:as:)` looked up type
    // metadata on every call (62 strings a Celery envelope: 8 % of the supervisor's
    // instructions on Redis).
    var bits: UInt8 = 0
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        let content = UnsafeBufferPointer(rebasing: bytes[start..<index])
        let text =
          bits < 0x80
          ? String(decoding: content, as: UTF8.self)
          : try Self.validatedString(content, at: start)
        index += 1
        return text
      }
      if byte == UInt8(ascii: "\\") { break }
      guard byte >= 0x20 else { throw JSONParseError(.invalidString, at: index) }
      bits |= byte
      index += 1
    }
    guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
    var scalars = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case UInt8(ascii: "\""):
        let text = try scalars.withUnsafeBufferPointer { (buffer) throws(JSONParseError) in
          try Self.validatedString(buffer, at: start)
        }
        index += 1
        return text
      case UInt8(ascii: "\\"):
        try parseEscape(into: &scalars)
      case ..<0x20:
        throw JSONParseError(.invalidString, at: index)
      default:
        scalars.append(byte)
        index += 1
      }
    }
    throw JSONParseError(.unexpectedEnd, at: index)
  }

  /// Appends the UTF-8 of the escape at `index` (a backslash) and moves past it.
  private mutating func parseEscape(into output: inout [UInt8]) throws(JSONParseError) {
    let escapeStart = index
    index += 1
    guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
    let byte = bytes[index]
    index += 1
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(byte)
    case UInt8(ascii: "b"): output.append(0x08)
    case UInt8(ascii: "f"): output.append(0x0C)
    case UInt8(ascii: "n"): output.append(0x0A)
    case UInt8(ascii: "r"): output.append(0x0D)
    case UInt8(ascii: "t"): output.append(0x09)
    case UInt8(ascii: "u"):
      var unit = try parseHex4()
      if (0xD800...0xDBFF).contains(unit) {
        // A high surrogate must be followed by an escaped low one.
        guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"),
          bytes[index + 1] == UInt8(ascii: "u")
        else { throw JSONParseError(.invalidString, at: escapeStart) }
        index += 2
        let low = try parseHex4()
        guard (0xDC00...0xDFFF).contains(low) else {
          throw JSONParseError(.invalidString, at: escapeStart)
        }
        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
      } else if (0xDC00...0xDFFF).contains(unit) {
        throw JSONParseError(.invalidString, at: escapeStart)
      }
      guard let scalar = Unicode.Scalar(unit) else {
        throw JSONParseError(.invalidString, at: escapeStart)
      }
      output.append(contentsOf: String(Character(scalar)).utf8)
    default:
      throw JSONParseError(.invalidString, at: escapeStart)
    }
  }

  private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
    guard bytes.count - index >= 4 else { throw JSONParseError(.unexpectedEnd, at: index) }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw JSONParseError(.invalidString, at: index)
      }
      value = value << 4 | UInt32(digit)
      index += 1
    }
    return value
  }

  private static func validatedString(_ buffer: UnsafeBufferPointer<UInt8>, at offset: Int)
    throws(JSONParseError) -> String
  {
    guard let text = String(validating: buffer, as: UTF8.self) else {
      throw JSONParseError(.invalidUTF8, at: offset)
    }
    return text
  }

  // MARK: - Numbers

  private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
    let start = index
    let negative = bytes[index] == UInt8(ascii: "-")
    if negative { index += 1 }
    // Integer part: `0`, or a non-zero digit and more digits.
    guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
    guard Self.isDigit(bytes[index]) else { throw JSONParseError(.invalidNumber, at: start) }
    var magnitude: UInt64 = 0
    var fitsInteger = true
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
      if index < bytes.count, Self.isDigit(bytes[index]) {
        throw JSONParseError(.invalidNumber, at: start)
      }
    } else {
      while index < bytes.count, Self.isDigit(bytes[index]) {
        let digit = UInt64(bytes[index] - UInt8(ascii: "0"))
        let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(digit)
        if overflow1 || overflow2 { fitsInteger = false } else { magnitude = sum }
        index += 1
      }
    }
    var isInteger = true
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      isInteger = false
      index += 1
      try skipDigits(numberStart: start)
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      isInteger = false
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")
      {
        index += 1
      }
      try skipDigits(numberStart: start)
    }
    if isInteger && fitsInteger {
      if !negative, magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
      if negative, magnitude <= UInt64(Int64.max) + 1 {
        return .int(magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude))
      }
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    guard let double = Double(text), double.isFinite else {
      throw JSONParseError(.numberOutOfRange, at: start)
    }
    // Whole values within Int64's range read as integers, as `JSONValue`'s decoding does;
    // an integer literal too long for Int64 stays a Double there too.
    if !isInteger, double.rounded(.towardZero) == double, double >= -0x1p63, double < 0x1p63 {
      return .int(Int64(double))
    }
    return .double(double)
  }

  /// One or more digits (of a fraction or an exponent).
  private mutating func skipDigits(numberStart: Int) throws(JSONParseError) {
    guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
    guard Self.isDigit(bytes[index]) else { throw JSONParseError(.invalidNumber, at: numberStart) }
    while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
  }

  private static func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  // MARK: - Punctuation

  mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  /// Moves past `byte` if it is next.
  mutating func consume(_ byte: UInt8) throws(JSONParseError) -> Bool {
    guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
    guard bytes[index] == byte else { return false }
    index += 1
    return true
  }

  mutating func expect(_ byte: UInt8) throws(JSONParseError) {
    guard try consume(byte) else { throw JSONParseError(.unexpectedByte, at: index) }
  }
}

extension JSONValue {
  /// Parses JSON text with ``JSONParser``.
  ///
  /// - Throws: ``JSONParseError`` naming what is wrong and where.
  public init(parsing text: String) throws(JSONParseError) {
    var text = text
    self = try text.withUTF8 { buffer in Self.parseResult(buffer) }.get()
  }

  /// Parses JSON bytes with ``JSONParser``.
  ///
  /// - Throws: ``JSONParseError`` naming what is wrong and where.
  public init(parsing bytes: some Sequence<UInt8>) throws(JSONParseError) {
    if let parsed = bytes.withContiguousStorageIfAvailable({ Self.parseResult($0) }) {
      self = try parsed.get()
    } else {
      self = try Array(bytes).withUnsafeBufferPointer { Self.parseResult($0) }.get()
    }
  }

  private static func parseResult(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<
    JSONValue, JSONParseError
  > {
    Result { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(buffer) }
  }
}
