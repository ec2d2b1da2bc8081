import CeleriacRedis
import CeleriacTestSupport
import NIOCore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The seed of the fuzz tests: `CELERIAC_FUZZ_SEED` if set, else a fixed one.
let fuzzSeed: UInt64 = {
  if let text = Environment.value("CELERIAC_FUZZ_SEED"), let seed = UInt64(text) {
    return seed
  }
  return 0x5EED_CE1E_A1AC
}()

enum Environment {
  static func value(_ name: String) -> String? {
    guard let pointer = getenv(name) else { return nil }
    return String(cString: pointer)
  }
}

enum RandomRESP {
  static let lineAlphabet = Array("abcXYZ019 -+:$*_#,>\t!é✓".unicodeScalars.map(Character.init))

  static func line(_ rng: inout SeededGenerator) -> String {
    let length = Int.random(in: 0...12, using: &rng)
    return String((0..<length).map { _ in Self.lineAlphabet.randomElement(using: &rng)! })
  }

  static func bytes(_ rng: inout SeededGenerator) -> ByteBuffer {
    let length =
      Bool.random(using: &rng)
      ? Int.random(in: 0...8, using: &rng) : Int.random(in: 0...300, using: &rng)
    var buffer = ByteBuffer()
    for _ in 0..<length {
      buffer.writeInteger(UInt8.random(in: 0...255, using: &rng))  // CR and LF included
    }
    return buffer
  }

  static func value(_ rng: inout SeededGenerator, depth: Int = 0) -> RESPValue {
    let aggregate = depth < 4 && Int.random(in: 0..<10, using: &rng) < 3
    if aggregate {
      let count = Int.random(in: 0...5, using: &rng)
      let elements = (0..<count).map { _ in Self.value(&rng, depth: depth + 1) }
      switch Int.random(in: 0..<5, using: &rng) {
      case 0: return .array(nil)
      case 1: return .push(elements)
      default: return .array(elements)
      }
    }
    switch Int.random(in: 0..<9, using: &rng) {
    case 0: return .simpleString(Self.line(&rng))
    case 1: return .error(Self.line(&rng))
    case 2:
      let choices: [Int64] = [0, -1, 1, .max, .min, Int64.random(in: .min ... .max, using: &rng)]
      return .integer(choices.randomElement(using: &rng)!)
    case 3: return .bulkString(nil)
    case 4: return .null
    case 5: return .boolean(Bool.random(using: &rng))
    case 6:
      let choices: [Double] = [
        0, -0.5, 1e300, .infinity, -.infinity, Double.random(in: -1e6...1e6, using: &rng),
      ]
      return .double(choices.randomElement(using: &rng)!)
    default: return .bulkString(Self.bytes(&rng))
    }
  }
}

func encoded(_ values: [RESPValue]) -> ByteBuffer {
  var buffer = ByteBuffer()
  for value in values {
    buffer.writeRESPValue(value)
  }
  return buffer
}

func parseAll(_ buffer: inout ByteBuffer, parser: RESPParser = RESPParser()) throws -> [RESPValue] {
  var values: [RESPValue] = []
  while let value = try parser.parse(&buffer) {
    values.append(value)
  }
  return values
}

@Suite("RESP parser and encoder")
struct RESPParserTests {
  @Test("known encodings parse to the expected values")
  func knownValues() throws {
    var buffer = ByteBuffer(
      string: "+OK\r\n-ERR wrong\r\n:-42\r\n$3\r\nabc\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
        + "*2\r\n:1\r\n*1\r\n$1\r\nx\r\n_\r\n#t\r\n,1.5\r\n,-inf\r\n>2\r\n+a\r\n:2\r\n")
    let values = try parseAll(&buffer)
    #expect(
      values == [
        .simpleString("OK"), .error("ERR wrong"), .integer(-42),
        .bulkString(ByteBuffer(string: "abc")), .bulkString(ByteBuffer()), .bulkString(nil),
        .array(nil), .array([]),
        .array([.integer(1), .array([.bulkString(ByteBuffer(string: "x"))])]),
        .null, .boolean(true), .double(1.5), .double(-.infinity),
        .push([.simpleString("a"), .integer(2)]),
      ])
    #expect(buffer.readableBytes == 0)
  }

  @Test("commands are encoded as arrays of bulk strings")
  func commandEncoding() {
    var buffer = ByteBuffer()
    let payload = ByteBuffer(string: "a\r\nb")
    buffer.writeRESPCommand(["LPUSH", "q", payload, 12, Int64.min, [UInt8(0)], "é"[...]])
    #expect(
      String(buffer: buffer)
        == "*7\r\n$5\r\nLPUSH\r\n$1\r\nq\r\n$4\r\na\r\nb\r\n$2\r\n12\r\n"
        + "$20\r\n-9223372036854775808\r\n$1\r\n\u{0}\r\n$2\r\né\r\n")
  }

  @Test("random values round-trip through encoder and parser")
  func roundTrip() throws {
    var rng = SeededGenerator(seed: fuzzSeed)
    for iteration in 0..<2_000 {
      let values = (0..<Int.random(in: 1...4, using: &rng)).map { _ in RandomRESP.value(&rng) }
      var buffer = encoded(values)
      let parsed = try parseAll(&buffer)
      #expect(parsed == values, "seed \(fuzzSeed), iteration \(iteration)")
      #expect(buffer.readableBytes == 0, "seed \(fuzzSeed), iteration \(iteration)")
      if parsed != values { return }
    }
  }

  @Test("every strict prefix needs more data and consumes nothing")
  func truncation() throws {
    var rng = SeededGenerator(seed: fuzzSeed &+ 1)
    let parser = RESPParser()
    for iteration in 0..<300 {
      let value = RandomRESP.value(&rng)
      let full = encoded([value])
      for length in 0..<full.readableBytes {
        var prefix = full.getSlice(at: full.readerIndex, length: length)!
        let result = try parser.parse(&prefix)
        #expect(result == nil, "seed \(fuzzSeed &+ 1), iteration \(iteration), length \(length)")
        #expect(prefix.readableBytes == length)
        if result != nil { return }
      }
      var whole = full
      #expect(try parser.parse(&whole) == value)
    }
  }

  @Test("values split across buffers at random points are all decoded")
  func randomSplits() throws {
    var rng = SeededGenerator(seed: fuzzSeed &+ 2)
    let parser = RESPParser()
    for iteration in 0..<500 {
      let values = (0..<Int.random(in: 1...6, using: &rng)).map { _ in RandomRESP.value(&rng) }
      var stream = encoded(values)
      var accumulated = ByteBuffer()
      var decoded: [RESPValue] = []
      while stream.readableBytes > 0 {
        let chunk = Int.random(in: 1...max(1, min(stream.readableBytes, 40)), using: &rng)
        var piece = stream.readSlice(length: chunk)!
        accumulated.writeBuffer(&piece)
        while let value = try parser.parse(&accumulated) {
          decoded.append(value)
        }
      }
      #expect(decoded == values, "seed \(fuzzSeed &+ 2), iteration \(iteration)")
      #expect(accumulated.readableBytes == 0)
      if decoded != values { return }
    }
  }

  @Test("random garbage never crashes the parser")
  func garbage() {
    var rng = SeededGenerator(seed: fuzzSeed &+ 3)
    let parser = RESPParser(maximumBulkLength: 1 << 20, maximumDepth: 8, maximumLineLength: 64)
    let interesting = Array("+-:$*_#,>\r\n0123456789-".utf8)
    var outcomes = (values: 0, needMore: 0, errors: 0)
    for _ in 0..<20_000 {
      var buffer = ByteBuffer()
      for _ in 0..<Int.random(in: 0...48, using: &rng) {
        let byte =
          Bool.random(using: &rng)
          ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
        buffer.writeInteger(byte)
      }
      let before = buffer.readableBytes
      do {
        if try parser.parse(&buffer) != nil {
          outcomes.values += 1
          #expect(buffer.readableBytes < before)
        } else {
          outcomes.needMore += 1
          #expect(buffer.readableBytes == before)
        }
      } catch let error as RedisError {
        outcomes.errors += 1
        #expect(error.code == .protocolError)
      } catch {
        Issue.record("unexpected error type \(error) (seed \(fuzzSeed &+ 3))")
      }
    }
    #expect(outcomes.errors > 0 && outcomes.needMore > 0 && outcomes.values > 0)
  }

  @Test("mutated valid encodings never crash the parser")
  func mutations() {
    var rng = SeededGenerator(seed: fuzzSeed &+ 4)
    let parser = RESPParser()
    for _ in 0..<3_000 {
      var buffer = encoded([RandomRESP.value(&rng)])
      for _ in 0..<Int.random(in: 1...3, using: &rng) {
        let index = buffer.readerIndex + Int.random(in: 0..<buffer.readableBytes, using: &rng)
        buffer.setInteger(UInt8.random(in: 0...255, using: &rng), at: index)
      }
      do {
        while try parser.parse(&buffer) != nil {}
      } catch {
        #expect((error as? RedisError)?.code == .protocolError)
      }
    }
  }

  @Test("nesting deeper than the limit is rejected without recursion")
  func deepNesting() throws {
    let parser = RESPParser(maximumDepth: 32)
    var ok = ByteBuffer(string: String(repeating: "*1\r\n", count: 32) + ":1\r\n")
    #expect(try parser.parse(&ok) != nil)
    var tooDeep = ByteBuffer(string: String(repeating: "*1\r\n", count: 33) + ":1\r\n")
    #expect(throws: RedisError.self) { try parser.parse(&tooDeep) }
    // Even huge hostile nesting, arriving incomplete, fails at once rather than waiting.
    var hostile = ByteBuffer(string: String(repeating: "*1\r\n", count: 100_000))
    #expect(throws: RedisError.self) { try parser.parse(&hostile) }
    // The parser itself is iterative; a deep limit works (the value's own deinit is recursive,
    // which is one more reason for a limit).
    let lenient = RESPParser(maximumDepth: 1_000)
    var deep = ByteBuffer(string: String(repeating: ">1\r\n", count: 1_000) + "_\r\n")
    #expect(try lenient.parse(&deep) != nil)
  }

  @Test(
    "malformed input is rejected with a protocol error",
    arguments: [
      "$-2\r\n", "$536870913\r\n", "$3\r\nabcd\r\n", "*-2\r\n", ">-1\r\n", ":\r\n", ":12a\r\n",
      ":99999999999999999999\r\n", "+OK\rX", "+OK\n", "#x\r\n", "_x\r\n", ",abc\r\n", "?\r\n",
      "$9223372036854775808\r\n",
    ])
  func malformed(_ input: String) {
    var buffer = ByteBuffer(string: input)
    #expect(throws: RedisError.self) { try RESPParser().parse(&buffer) }
  }

  @Test("a line without CRLF is rejected once it exceeds the line limit")
  func longLine() throws {
    let parser = RESPParser(maximumLineLength: 100)
    var short = ByteBuffer(string: "+" + String(repeating: "a", count: 100))
    #expect(try parser.parse(&short) == nil)
    var long = ByteBuffer(string: "+" + String(repeating: "a", count: 101))
    #expect(throws: RedisError.self) { try parser.parse(&long) }
  }

  @Test("parse errors name the problem")
  func errorMessages() {
    var buffer = ByteBuffer(string: "$999999999999\r\n")
    do {
      _ = try RESPParser().parse(&buffer)
      Issue.record("expected an error")
    } catch let error as RedisError {
      #expect(error.code == .protocolError)
      #expect(error.description.contains("bulk string length 999999999999 out of range"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }
}
