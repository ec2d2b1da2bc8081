import CeleriacCore
import Foundation
import Testing

@Suite("JSONValue")
struct JSONValueTests {
  private func roundTrip(_ value: JSONValue) throws -> JSONValue {
    try JSONCoding.decode(JSONValue.self, from: try JSONCoding.encode(value))
  }

  @Test("integers decode as .int, not .double", arguments: [0, 1, -1, 42, Int64.max, Int64.min])
  func integersStayIntegers(_ number: Int64) throws {
    #expect(try JSONCoding.decode(JSONValue.self, from: String(number)) == .int(number))
    #expect(try roundTrip(.int(number)) == .int(number))
  }

  @Test("integers above 2^53 keep every digit")
  func largeIntegersAreExact() throws {
    let value = try JSONCoding.decode(JSONValue.self, from: "9007199254740993")
    #expect(value == .int(9_007_199_254_740_993))
  }

  @Test("numbers with a fraction decode as .double", arguments: [2.5, -0.125, 1e-7, 3.14159])
  func doublesStayDoubles(_ number: Double) throws {
    #expect(try roundTrip(.double(number)) == .double(number))
  }

  @Test("a whole double is stored as an integer: 1.0 comes back as .int(1)")
  func wholeDoubleBecomesInt() throws {
    #expect(try JSONCoding.decode(JSONValue.self, from: "1.0") == .int(1))
    #expect(try roundTrip(.double(1.0)) == .int(1))
    #expect(try roundTrip(.double(1.0)).doubleValue == 1.0)
  }

  @Test("a number too large for Int64 decodes as .double")
  func hugeNumberIsDouble() throws {
    let value = try JSONCoding.decode(JSONValue.self, from: "18446744073709551616")
    #expect(value == .double(18_446_744_073_709_551_616))
  }

  @Test("null, bools and strings are told apart from numbers")
  func scalars() throws {
    #expect(try JSONCoding.decode(JSONValue.self, from: "null") == .null)
    #expect(try JSONCoding.decode(JSONValue.self, from: "true") == .bool(true))
    #expect(try JSONCoding.decode(JSONValue.self, from: "false") == .bool(false))
    #expect(try JSONCoding.decode(JSONValue.self, from: "1") == .int(1))
    #expect(try JSONCoding.decode(JSONValue.self, from: "\"1\"") == .string("1"))
    #expect(try JSONCoding.encodeString(JSONValue.null) == "null")
  }

  @Test("nested arrays and objects round-trip, null inside them kept")
  func nested() throws {
    let value: JSONValue = [
      "name": "report", "pages": 3, "ratio": 0.5, "draft": false, "owner": nil,
      "tags": ["a", 1, 2.5, nil, ["deep": [[]]]], "empty": [:],
    ]
    #expect(try roundTrip(value) == value)
    let text = #"{"a":[1,{"b":null,"c":[true,"x",-2.75]}],"d":{}}"#
    let decoded = try JSONCoding.decode(JSONValue.self, from: text)
    #expect(
      decoded
        == .object([
          "a": .array([.int(1), .object(["b": .null, "c": .array([.bool(true), "x", -2.75])])]),
          "d": .object([:]),
        ]))
    #expect(try JSONCoding.encodeString(decoded) == text)
  }

  @Test("strings with quotes, newlines, slashes and non-ASCII round-trip")
  func awkwardStrings() throws {
    let value: JSONValue = ["s": "line 1\nline \"2\"\t/ü€😀\u{0}"]
    #expect(try roundTrip(value) == value)
  }

  @Test("literals build the matching cases")
  func literals() {
    let null: JSONValue = nil
    let bool: JSONValue = true
    let int: JSONValue = 7
    let double: JSONValue = 7.5
    let string: JSONValue = "seven"
    let array: JSONValue = [1, "two"]
    let object: JSONValue = ["k": 1]
    #expect(null == .null)
    #expect(bool == .bool(true))
    #expect(int == .int(7))
    #expect(double == .double(7.5))
    #expect(string == .string("seven"))
    #expect(array == .array([.int(1), .string("two")]))
    #expect(object == .object(["k": .int(1)]))
  }

  @Test("a dictionary literal with a repeated key keeps the last value")
  func repeatedKeyKeepsLast() {
    let object: JSONValue = ["k": 1, "k": 2]
    #expect(object == .object(["k": 2]))
  }

  @Test("intValue accepts whole numbers only")
  func intValue() {
    #expect(JSONValue.int(5).intValue == 5)
    #expect(JSONValue.double(5.0).intValue == 5)
    #expect(JSONValue.double(-3.0).intValue == -3)
    #expect(JSONValue.double(-0.0).intValue == 0)
    #expect(JSONValue.double(5.5).intValue == nil)
    #expect(JSONValue.double(.nan).intValue == nil)
    #expect(JSONValue.double(.infinity).intValue == nil)
    #expect(JSONValue.double(-.infinity).intValue == nil)
    #expect(JSONValue.double(1e19).intValue == nil)
    #expect(JSONValue.double(9e18).intValue == 9_000_000_000_000_000_000)
    #expect(JSONValue.string("5").intValue == nil)
    #expect(JSONValue.bool(true).intValue == nil)
    #expect(JSONValue.null.intValue == nil)
  }

  @Test("doubleValue accepts any number")
  func doubleValue() {
    #expect(JSONValue.int(5).doubleValue == 5.0)
    #expect(JSONValue.int(Int64.max).doubleValue == Double(Int64.max))
    #expect(JSONValue.double(2.5).doubleValue == 2.5)
    #expect(JSONValue.string("2.5").doubleValue == nil)
    #expect(JSONValue.bool(false).doubleValue == nil)
    #expect(JSONValue.null.doubleValue == nil)
    #expect(JSONValue.array([1]).doubleValue == nil)
  }

  @Test("stringValue and compactDescription")
  func stringValueAndDescription() {
    #expect(JSONValue.string("x").stringValue == "x")
    #expect(JSONValue.int(1).stringValue == nil)
    let value: JSONValue = ["b": [1, 2.5, nil], "a": "x", "c": true]
    #expect(value.compactDescription == #"{"a": "x", "b": [1, 2.5, null], "c": true}"#)
  }
}
