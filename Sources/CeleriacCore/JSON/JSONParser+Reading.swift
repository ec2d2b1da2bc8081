/// The name of an object member as ``JSONParser/readObject(_:)`` hands it over: compared with
/// literals without making a `String` of it.
///
/// It points into the bytes being read, so it is valid only inside the closure it was handed
/// to; keep ``text`` instead.
public struct JSONKey {
  /// The bytes between the quotes, when the key has no escape and is ASCII (its text as it
  /// stands).
  private let raw: UnsafeBufferPointer<UInt8>?
  /// The key decoded, when it has an escape or a non-ASCII character.
  private let decoded: String?

  fileprivate init(raw: UnsafeBufferPointer<UInt8>) {
    self.raw = raw
    self.decoded = nil
  }

  fileprivate init(decoded: String) {
    self.raw = nil
    self.decoded = decoded
  }

  /// Whether the key is `name`, byte for byte.
  public func equals(_ name: StaticString) -> Bool {
    let literal = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
    if let raw { return raw.count == literal.count && Self.same(raw, literal, count: raw.count) }
    return decoded?.utf8.elementsEqual(literal) ?? false
  }

  /// Whether the key starts with `prefix`.
  public func hasPrefix(_ prefix: StaticString) -> Bool {
    let literal = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
    if let raw {
      return raw.count >= literal.count && Self.same(raw, literal, count: literal.count)
    }
    return decoded?.utf8.starts(with: literal) ?? false
  }

  /// Whether the first `count` bytes of `a` and `b` are the same. A loop over the two buffers
  /// rather than `elementsEqual`, whose generic iteration cost more than the rest of reading
  /// a key (the claim compares each header's name with a dozen literals).
  private static func same(
    _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, count: Int
  ) -> Bool {
    var index = 0
    while index < count {
      if a[index] != b[index] { return false }
      index += 1
    }
    return true
  }

  /// The key as a string.
  public var text: String {
    if let raw { return String(decoding: raw, as: UTF8.self) }
    return decoded ?? ""
  }
}

/// A pull reader over the same grammar and checks as ``JSONParser/parse(_:)``, for the hot
/// paths that want a few members of a large object: the caller walks objects and arrays,
/// keeps the values it needs as ``JSONValue``s and skips the rest, which are checked but not
/// built (no dictionary, no string for an ASCII value without escapes).
///
/// Every reading method skips the whitespace before its value. A member or element that the
/// caller's closure does not read is skipped for it, so a closure only reads what it wants.
extension JSONParser {
  /// Reads one JSON value from `bytes` with `body`, then checks that nothing but whitespace
  /// follows it; `body` reads the value with the methods of this extension (the value is
  /// skipped if it does not).
  ///
  /// - Throws: ``JSONParseError`` when the text is not one JSON value, whatever `body` read.
  public static func read<Result>(
    _ bytes: UnsafeBufferPointer<UInt8>,
    _ body: (inout JSONParser) throws(JSONParseError) -> Result
  ) throws(JSONParseError) -> Result {
    var parser = JSONParser(bytes)
    parser.skipWhitespace()
    let start = parser.index
    let result = try body(&parser)
    if parser.index == start { try parser.skipValue() }
    parser.skipWhitespace()
    guard parser.index == bytes.count else {
      throw JSONParseError(.trailingData, at: parser.index)
    }
    return result
  }

  /// The next value, built whole.
  public mutating func readValue() throws(JSONParseError) -> JSONValue {
    skipWhitespace()
    return try parseValue()
  }

  /// Moves past the next value, checking it as parsing would.
  public mutating func skipValue() throws(JSONParseError) {
    skipWhitespace()
    guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
    switch bytes[index] {
    case UInt8(ascii: "{"):
      _ = try readObject { _, _ throws(JSONParseError) in }
    case UInt8(ascii: "["):
      _ = try readArray { _ throws(JSONParseError) in }
    case UInt8(ascii: "\""):
      _ = try scanString()
    default:
      // Literals and numbers: nothing is allocated (but for a `Double`'s digits).
      _ = try parseValue()
    }
  }

  /// Reads the object that comes next, handing `member` each key with the parser at its value.
  /// A repeated key is handed over each time (the caller keeps the last, as parsing does).
  ///
  /// - Returns: `false`, having moved past nothing but whitespace, when the next value is not
  ///   an object.
  public mutating func readObject(
    _ member: (JSONKey, inout JSONParser) throws(JSONParseError) -> Void
  ) throws(JSONParseError) -> Bool {
    skipWhitespace()
    guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
    guard bytes[index] == UInt8(ascii: "{") else { return false }
    try enterContainer()
    if try consume(UInt8(ascii: "}")) {
      depth -= 1
      return true
    }
    while true {
      guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
      guard bytes[index] == UInt8(ascii: "\"") else {
        throw JSONParseError(.unexpectedByte, at: index)
      }
      let key = try scanString()
      skipWhitespace()
      try expect(UInt8(ascii: ":"))
      skipWhitespace()
      let valueStart = index
      try member(key, &self)
      if index == valueStart { try skipValue() }
      skipWhitespace()
      if try consume(UInt8(ascii: "}")) { break }
      try expect(UInt8(ascii: ","))
      skipWhitespace()
    }
    depth -= 1
    return true
  }

  /// Reads the array that comes next, calling `element` with the parser at each element.
  ///
  /// - Returns: `false`, having moved past nothing but whitespace, when the next value is not
  ///   an array.
  public mutating func readArray(
    _ element: (inout JSONParser) throws(JSONParseError) -> Void
  ) throws(JSONParseError) -> Bool {
    skipWhitespace()
    guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
    guard bytes[index] == UInt8(ascii: "[") else { return false }
    try enterContainer()
    if try consume(UInt8(ascii: "]")) {
      depth -= 1
      return true
    }
    while true {
      let elementStart = index
      try element(&self)
      if index == elementStart { try skipValue() }
      skipWhitespace()
      if try consume(UInt8(ascii: "]")) { break }
      try expect(UInt8(ascii: ","))
      skipWhitespace()
    }
    depth -= 1
    return true
  }

  /// Moves past the string at `index` (its opening quote): an ASCII string without escapes
  /// comes back as its raw bytes; any other goes through the full check and decoding.
  private mutating func scanString() throws(JSONParseError) -> JSONKey {
    let quote = index
    index += 1
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        let raw = UnsafeBufferPointer(rebasing: bytes[(quote + 1)..<index])
        index += 1
        return JSONKey(raw: raw)
      }
      if byte == UInt8(ascii: "\\") || byte >= 0x80 {
        index = quote
        return JSONKey(decoded: try parseString())
      }
      guard byte >= 0x20 else { throw JSONParseError(.invalidString, at: index) }
      index += 1
    }
    throw JSONParseError(.unexpectedEnd, at: index)
  }
}
