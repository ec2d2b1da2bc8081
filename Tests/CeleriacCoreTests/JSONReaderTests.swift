import CeleriacCore
import CeleriacTestSupport
import Testing

@Suite("JSONParser's pull reader: the parser's checks, members read or skipped")
struct JSONReaderTests {
  /// Reads `bytes` with `body` through ``JSONParser/read(_:_:)``.
  static func reading<Value>(
    _ bytes: [UInt8], _ body: (inout JSONParser) throws(JSONParseError) -> Value
  ) -> Result<Value, JSONParseError> {
    bytes.withUnsafeBufferPointer { buffer in
      Result { () throws(JSONParseError) in try JSONParser.read(buffer, body) }
    }
  }

  /// Reads `bytes` with the reader, skipping the whole value.
  static func skipping(_ bytes: [UInt8]) -> Result<Void, JSONParseError> {
    reading(bytes) { (parser) throws(JSONParseError) in try parser.skipValue() }
  }

  /// Rebuilds the value with `readObject`, `readArray` and `readValue` alone.
  static func rebuilt(_ bytes: [UInt8]) -> Result<JSONValue, JSONParseError> {
    reading(bytes) { (parser) throws(JSONParseError) in try rebuild(&parser) }
  }

  static func rebuild(_ parser: inout JSONParser) throws(JSONParseError) -> JSONValue {
    var members: [String: JSONValue] = [:]
    if try parser.readObject({ (key, parser) throws(JSONParseError) in
      members[key.text] = try rebuild(&parser)
    }) {
      return .object(members)
    }
    var elements: [JSONValue] = []
    if try parser.readArray({ (parser) throws(JSONParseError) in
      elements.append(try rebuild(&parser))
    }) {
      return .array(elements)
    }
    return try parser.readValue()
  }

  static func parsed(_ bytes: [UInt8]) -> Result<JSONValue, JSONParseError> {
    Result { () throws(JSONParseError) in try JSONValue(parsing: bytes) }
  }

  /// Valid and malformed texts, among them every case of the parser's own tables.
  static let texts: [String] = [
    "0", "-0", "1.0", "1e3", "-1.25e-3", "9223372036854775808", "true", "false", "null",
    " [1, 2 ,3 ] ", #"{"a": {"b": [true, null, "x"]}}"#, #""\u00e9\ud83d\ude00""#,
    #""tab\there\n\"quoted\" \\ \/""#, #""héllo wörld 😀""#, "[]", "{}", #"[[], {}, [[]]]"#,
    #"{"":""}"#, #"{"k\u00e9y": 1, "plain": [{"x": "y"}]}"#, "", "01", "1.", "1.x", "-", "-a",
    "1e", "+1", "1e400", "[1,]", "[1 2]", #"{"a" 1}"#, #"{a: 1}"#, #"{"a":1,}"#,
    #""\ud800""#, #""\udc00""#, #""\x""#, #""\u12g4""#, "\"a\u{01}b\"", #""abc"#, "tru",
    "trUe", "nul", "1 2", "{} x", "[", "{", #"{"a":"#, "NaN", #"{"a": "b\u{01}"}"#,
    #"{"a\u{01}": 1}"#, #"[{"a": [1, {"b": tru}]}]"#,
  ]

  @Test("skipping a value accepts what parsing accepts and refuses the rest with its error")
  func skippingAgreesWithParsing() {
    for text in Self.texts {
      let bytes = Array(text.utf8)
      switch (Self.parsed(bytes), Self.skipping(bytes)) {
      case (.success, .success): break
      case (.failure(let parse), .failure(let skip)):
        #expect(parse == skip, "\(text)")
      case (let parse, let skip):
        Issue.record("\(text): parse \(parse), skip \(skip)")
      }
    }
  }

  @Test("invalid UTF-8 is refused when skipped, in a value or a key")
  func skippingRefusesInvalidUTF8() {
    for inner: [UInt8] in [[0xC3, 0x28], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80]] {
      let quoted = [0x22] + inner + [0x22]
      for bytes in [quoted, [0x7B] + quoted + Array(#": 1}"#.utf8)] {
        guard case .failure(let error) = Self.skipping(bytes) else {
          Issue.record("skipped \(inner)")
          continue
        }
        #expect(error.code == .invalidUTF8)
      }
    }
  }

  @Test("mutated random values: skipping and rebuilding agree with parsing, byte for byte")
  func mutatedValuesAgree() throws {
    let seed = UInt64.random(in: 0...UInt64.max)
    var generator = SeededGenerator(seed: seed)
    for round in 0..<2_000 {
      let value = JSONParserTests.randomValue(depth: 0, using: &generator)
      var bytes = Array(JSONWriter.string(value).utf8)
      if round % 2 == 1 {
        JSONParserTests.mutate(
          &bytes, times: Int.random(in: 1...3, using: &generator), using: &generator)
      }
      let text = String(decoding: bytes, as: UTF8.self)
      switch (Self.parsed(bytes), Self.skipping(bytes), Self.rebuilt(bytes)) {
      case (.success(let value), .success, .success(let again)):
        #expect(again == value, "seed \(seed): \(text)")
      case (.failure(let error), .failure(let skip), .failure(let rebuild)):
        #expect(skip == error && rebuild == error, "seed \(seed): \(text)")
      case (let parse, let skip, let rebuild):
        Issue.record("seed \(seed): \(text): parse \(parse), skip \(skip), rebuild \(rebuild)")
      }
    }
  }

  @Test("nesting deeper than maximumDepth is refused when skipped")
  func skippingBoundsNesting() {
    let hostile = Array(String(repeating: "[{\"a\":", count: 100_000).utf8)
    guard case .failure(let error) = Self.skipping(hostile) else {
      Issue.record("100,000 nested containers skipped")
      return
    }
    #expect(error.code == .tooDeep)
  }

  @Test("keys compare with literals whether or not they were escaped; prefixes too")
  func keysCompare() throws {
    let bytes = Array(#"{"abc": 1, "a\u0062c": 2, "celeriac_x": 3, "é": 4}"#.utf8)
    var seen: [String] = []
    try Self.reading(bytes) { (parser) throws(JSONParseError) in
      _ = try parser.readObject { (key, _) throws(JSONParseError) in
        if key.equals("abc") { seen.append("abc") }
        if key.hasPrefix("celeriac_") { seen.append("prefix:" + key.text) }
        if key.equals("é") { seen.append("é") }
        if key.equals("ab") || key.equals("abcd") || key.hasPrefix("abcd") { seen.append("?") }
      }
    }.get()
    #expect(seen == ["abc", "abc", "prefix:celeriac_x", "é"])
  }

  @Test("a member or element the closure does not read is skipped for it")
  func unreadMembersAreSkipped() throws {
    let bytes = Array(
      #"{"skip": {"deep": [1, 2, {"x": "y"}]}, "keep": 5, "more": [[]], "last": "z"}"#.utf8)
    var kept: [JSONValue] = []
    var elements = 0
    try Self.reading(bytes) { (parser) throws(JSONParseError) in
      _ = try parser.readObject { (key, parser) throws(JSONParseError) in
        if key.equals("keep") || key.equals("last") { kept.append(try parser.readValue()) }
        if key.equals("more") {
          _ = try parser.readArray { (_) throws(JSONParseError) in elements += 1 }
        }
      }
    }.get()
    #expect(kept == [5, "z"])
    #expect(elements == 1)
  }

  @Test(
    "readObject and readArray answer false at a value of another kind, having read nothing",
    arguments: ["1", #""text""#, "null", "[1]", #"{"a": 1}"#])
  func otherKinds(text: String) throws {
    let bytes = Array(" \(text) ".utf8)
    let value = try Self.reading(bytes) { (parser) throws(JSONParseError) -> JSONValue in
      let isObject = try parser.readObject { _, _ throws(JSONParseError) in }
      if isObject { return .null }
      let isArray = try parser.readArray { _ throws(JSONParseError) in }
      return isArray ? .null : try parser.readValue()
    }.get()
    if text.hasPrefix("[") || text.hasPrefix("{") {
      #expect(value == .null)
    } else {
      #expect(value == (try JSONValue(parsing: text)))
    }
  }
}
