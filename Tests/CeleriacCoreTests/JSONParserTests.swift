import CeleriacCore
import CeleriacTestSupport
import Foundation
import Testing

@Suite("JSONParser: strict JSON straight to JSONValue, read as JSONValue's Codable reads it")
struct JSONParserTests {
  /// What `JSONDecoder` with `JSONValue`'s `Codable` conformance makes of `text` (nil: refused).
  static func viaFoundation(_ text: String) -> JSONValue? {
    try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
  }

  @Test(
    "numbers, strings and literals read as JSONDecoder reads them",
    arguments: [
      "0", "-0", "1.0", "1e3", "1E2", "0.1e1", "2.5e1", "-0.0", "1.5", "-1.25e-3", "1e-400",
      "12345678901234567890", "9223372036854775807", "-9223372036854775808",
      "9223372036854775808", "-9223372036854775809", "123456789012345678", "0.30000000000000004",
      "true", "false", "null", " [1, 2 ,3 ] ", #"{"a": {"b": [true, null, "x"]}}"#,
      #""\u00e9\ud83d\ude00""#, #""tab\there\n\"quoted\" \\ \/""#, #""héllo wörld 😀""#, "[]",
      "{}", #"[[], {}, [[]]]"#, #"{"":""}"#,
    ])
  func agreesWithFoundation(text: String) throws {
    let expected = try #require(Self.viaFoundation(text))
    #expect(try JSONValue(parsing: text) == expected)
  }

  @Test(
    "malformed text is refused with a reason, never a trap",
    arguments: [
      ("", JSONParseError.Code.unexpectedEnd), ("01", .invalidNumber), ("1.", .unexpectedEnd),
      ("1.x", .invalidNumber), ("-", .unexpectedEnd), ("-a", .invalidNumber),
      ("1e", .unexpectedEnd), ("+1", .unexpectedByte), ("1e400", .numberOutOfRange),
      ("-1e400", .numberOutOfRange), ("[1,]", .unexpectedByte), ("[1 2]", .unexpectedByte),
      (#"{"a" 1}"#, .unexpectedByte), (#"{a: 1}"#, .unexpectedByte),
      (#"{"a":1,}"#, .unexpectedByte),
      (#""\ud800""#, .invalidString), (#""\udc00""#, .invalidString), (#""\x""#, .invalidString),
      (#""\u12g4""#, .invalidString), ("\"a\u{01}b\"", .invalidString), (#""abc"#, .unexpectedEnd),
      ("tru", .unexpectedEnd), ("trUe", .unexpectedByte), ("nul", .unexpectedEnd),
      ("1 2", .trailingData), ("{} x", .trailingData), ("[", .unexpectedEnd), ("{", .unexpectedEnd),
      (#"{"a":"#, .unexpectedEnd), ("NaN", .unexpectedByte), ("Infinity", .unexpectedByte),
    ])
  func refusesMalformed(text: String, code: JSONParseError.Code) {
    #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    do {
      _ = try JSONValue(parsing: text)
    } catch {
      #expect(error.code == code, "\(text): \(error)")
    }
  }

  @Test(
    "bytes that are not UTF-8 inside a string are refused, in a value or a key",
    arguments: [
      [0xC3, 0x28],  // a truncated two-byte sequence
      [0xFF], [0x80],  // never valid; a lone continuation byte
      [0xC0, 0xAF],  // an overlong "/"
      [0xED, 0xA0, 0x80],  // a UTF-16 surrogate written as UTF-8
      [0x61, 0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF, after ASCII
    ] as [[UInt8]])
  func refusesInvalidUTF8(_ inner: [UInt8]) {
    let quoted = [0x22] + inner + [0x22]
    for bytes in [quoted, [0x7B] + quoted + Array(#": 1}"#.utf8)] {
      do {
        _ = try JSONValue(parsing: bytes)
        Issue.record("parsed \(inner)")
      } catch {
        #expect(error.code == .invalidUTF8, "\(inner)")
      }
    }
  }

  @Test("nesting deeper than maximumDepth is refused; at the limit it parses")
  func boundsNesting() throws {
    let limit = JSONParser.maximumDepth
    let atLimit = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
    #expect(throws: Never.self) { try JSONValue(parsing: atLimit) }
    let hostile = String(repeating: "[", count: 200_000)
    do {
      _ = try JSONValue(parsing: hostile)
      Issue.record("200,000 open brackets parsed")
    } catch {
      #expect(error.code == .tooDeep)
    }
  }

  @Test("duplicate keys keep the last value, as Python's json does")
  func duplicateKeys() throws {
    #expect(try JSONValue(parsing: #"{"a": 1, "a": 2}"#) == ["a": 2])
  }

  @Test("random values round-trip through JSONEncoder and agree with JSONDecoder")
  func randomValuesAgree() throws {
    let seed = UInt64.random(in: 0...UInt64.max)
    var generator = SeededGenerator(seed: seed)
    for _ in 0..<500 {
      let value = Self.randomValue(depth: 0, using: &generator)
      let text = try JSONCoding.encodeString(value)
      let expected = try #require(Self.viaFoundation(text))
      #expect(try JSONValue(parsing: text) == expected, "seed \(seed): \(text)")
    }
  }

  @Test("mutated JSON is parsed or refused, never a trap; what parses round-trips")
  func mutatedInputNeverTraps() throws {
    let seed = UInt64.random(in: 0...UInt64.max)
    var generator = SeededGenerator(seed: seed)
    for _ in 0..<2_000 {
      var bytes = Array(
        try JSONCoding.encodeString(Self.randomValue(depth: 0, using: &generator)).utf8)
      Self.mutate(&bytes, times: Int.random(in: 1...4, using: &generator), using: &generator)
      // Refused or parsed; what parses re-encodes to text that parses to the same value.
      if let parsed = try? JSONValue(parsing: bytes) {
        let again = try JSONValue(parsing: try JSONCoding.encodeString(parsed))
        #expect(again == parsed, "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
      }
    }
  }

  /// Replaces, removes or inserts a byte of `bytes` `times` times, with bytes that matter to
  /// JSON's grammar (and three that are not UTF-8 on their own).
  static func mutate(_ bytes: inout [UInt8], times: Int, using generator: inout SeededGenerator) {
    let alphabet = Array(#"{}[]",:0123456789-+.eE\u"tfnrlsa "#.utf8) + [0x00, 0xFF, 0xC3]
    for _ in 0..<times where !bytes.isEmpty {
      let position = Int.random(in: 0..<bytes.count, using: &generator)
      switch Int.random(in: 0..<3, using: &generator) {
      case 0: bytes[position] = alphabet.randomElement(using: &generator)!
      case 1: bytes.remove(at: position)
      default: bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
      }
    }
  }

  static func randomValue(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
    let kinds = depth > 3 ? 6 : 8
    switch Int.random(in: 0..<kinds, using: &generator) {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &generator))
    case 2: return .int(Int64.random(in: .min ... .max, using: &generator))
    case 3: return .int(Int64.random(in: -1000...1000, using: &generator))
    case 4:
      let value = Double.random(in: -1e6...1e6, using: &generator)
      return value.rounded() == value ? .int(Int64(value)) : .double(value)
    case 5:
      let pool = Array("aé😀 \"\\/\n\t\u{01}zq")
      let count = Int.random(in: 0...8, using: &generator)
      return .string(String((0..<count).map { _ in pool.randomElement(using: &generator)! }))
    case 6:
      let count = Int.random(in: 0...4, using: &generator)
      return .array((0..<count).map { _ in randomValue(depth: depth + 1, using: &generator) })
    default:
      let count = Int.random(in: 0...4, using: &generator)
      var fields: [String: JSONValue] = [:]
      for index in 0..<count {
        fields["k\(index)"] = randomValue(depth: depth + 1, using: &generator)
      }
      return .object(fields)
    }
  }
}

@Suite("JSONWriter: the text it writes is JSON that means what was written")
struct JSONWriterTests {
  @Test(
    "strings with escapes, control characters and multi-byte characters read back the same",
    arguments: [
      "plain", "", "quote \" and backslash \\", "line\nreturn\rtab\t", "\u{01}\u{08}\u{0C}\u{1F}",
      "héllo wörld", "日本語", "emoji 😀 and \u{2028}", "mixed \"é\"\n😀\\",
      "\"at the start", "at the end\\", "\n", "\"\"", "a\u{1F}b\u{7F}c",
    ])
  func stringsReadBack(_ string: String) throws {
    var writer = JSONWriter()
    writer.writeString(string)
    #expect(try JSONValue(parsing: writer.text) == .string(string))
    #expect(try JSONValue(parsing: writer.bytes) == .string(string))
    // What Foundation reads agrees.
    #expect(JSONParserTests.viaFoundation(writer.text) == .string(string))
  }

  @Test("random values read back the same", arguments: 0..<20)
  func randomValuesReadBack(_ seed: Int) throws {
    var generator = SeededGenerator(seed: UInt64(seed) + 4_000)
    let value = JSONParserTests.randomValue(depth: 0, using: &generator)
    #expect(try JSONValue(parsing: JSONWriter.string(value)) == value)
  }

  @Test(
    "integers are written as Swift writes them, at both ends of the range",
    arguments: [0, 1, -1, 9, 10, -10, 99, 100, 1_234_567_890, Int64.max, Int64.min, Int64.min + 1])
  func integers(_ number: Int64) throws {
    var writer = JSONWriter()
    writer.writeInteger(number)
    #expect(writer.text == String(number))
    #expect(try JSONValue(parsing: writer.bytes) == .int(number))
  }
}

@Suite("UUID.lowercasedText")
struct UUIDTextTests {
  @Test("is uuidString lowercased, for the nil and max UUIDs and 2,000 random ones")
  func matchesFoundation() {
    let fixed = [
      UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
      UUID(
        uuid: (
          255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255
        )),
    ]
    for uuid in fixed + (0..<2_000).map({ _ in UUID() }) {
      #expect(uuid.lowercasedText == uuid.uuidString.lowercased())
    }
  }
}
