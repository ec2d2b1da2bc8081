import CeleriacCore
import CeleriacTestSupport
import Foundation
import Testing

@Suite("TaskMessage.jsonValue: the hand-written encoding agrees with Codable's")
struct TaskMessageJSONTests {
  static let full = TaskMessage(
    id: "7d5a0f0e-1111-4222-8333-944445555666", name: "tasks.add", args: [1, "two", 3.5, nil],
    kwargs: ["x": ["nested": [true, false]], "quote\"d": "line\nbreak"], queue: "images",
    eta: Date(timeIntervalSince1970: 1_800_000_000.25),
    expires: Date(timeIntervalSince1970: 1_800_000_600), retries: 2,
    timeLimit: TimeLimits(soft: 1.5, hard: 30),
    options: TaskOptions(
      acksLate: true, rejectOnWorkerLost: true, ignoreResult: true, maxRedeliveries: 7),
    rootID: "root", parentID: "parent", groupID: "group", idempotencyKey: "key",
    workflow: TaskWorkflow(
      callbacks: [["task": "tasks.cb"]], errbacks: [["task": "tasks.eb"]],
      chain: [["task": "tasks.next"]], chord: ["task": "tasks.body"]),
    headers: ["celeriac_beat_entry": "nightly"], priority: 3, groupIndex: 7)

  static let minimal = TaskMessage(id: "m", name: "tasks.noop")

  @Test("decoding either encoding gives the same message", arguments: [full, minimal])
  func agreesWithCodable(message: TaskMessage) throws {
    let written = JSONWriter.string(message.jsonValue)
    let decoded = try JSONCoding.decode(TaskMessage.self, from: written)
    let viaCodable = try JSONCoding.decode(
      TaskMessage.self, from: try JSONCoding.encodeString(message))
    #expect(decoded == viaCodable)
    #expect(decoded == message)
    #expect(try JSONValue(parsing: written) == JSONValue(parsing: JSONCoding.encodeString(message)))
  }

  @Test("reading the written value back gives the message", arguments: [full, minimal])
  func readsBack(message: TaskMessage) throws {
    #expect(TaskMessage(jsonValue: message.jsonValue) == message)
    let parsed = try JSONValue(parsing: JSONCoding.encodeString(message))
    #expect(TaskMessage(jsonValue: parsed) == message)
  }

  @Test(
    "a value of another shape is left to Codable",
    arguments: [
      #"{"id":"a","name":"n","args":[],"kwargs":{},"queue":"q","retries":0}"#,
      #"{"id":"a","name":"n","args":[],"kwargs":{},"queue":"q","retries":"0","timeLimit":{},"options":{"acksLate":false,"rejectOnWorkerLost":false,"ignoreResult":false,"maxRedeliveries":3}}"#,
      #"{"id":"a","name":"n","args":[],"kwargs":{},"queue":"q","retries":0,"timeLimit":{},"options":{"acksLate":false,"rejectOnWorkerLost":false,"ignoreResult":false,"maxRedeliveries":3},"eta":"yesterday"}"#,
      #"{"id":"a","name":"n","args":[],"kwargs":{},"queue":"q","retries":0,"timeLimit":{},"options":{"acksLate":false,"rejectOnWorkerLost":false,"ignoreResult":false,"maxRedeliveries":3},"surprise":1}"#,
    ])
  func otherShapes(text: String) throws {
    #expect(TaskMessage(jsonValue: try JSONValue(parsing: text)) == nil)
    #expect(TaskMessage(readingJSON: text) == nil)
  }

  /// What the pull reader makes of `bytes`, and what parsing then ``TaskMessage/init(jsonValue:)``
  /// makes of them.
  static func bothReadings(_ bytes: [UInt8]) -> (read: TaskMessage?, parsed: TaskMessage?) {
    let read = bytes.withUnsafeBufferPointer { TaskMessage(readingJSON: $0) }
    let parsed = (try? JSONValue(parsing: bytes)).flatMap(TaskMessage.init(jsonValue:))
    return (read, parsed)
  }

  @Test("the pull reader reads every combination of optional fields as parsing does")
  func readerReadsEveryShape() {
    for mask in 0..<(1 << 12) {
      let message = Self.variant(mask)
      let (read, parsed) = Self.bothReadings(Array(message.jsonText.utf8))
      #expect(read == message && parsed == message, "mask \(mask)")
    }
  }

  @Test("on 3,000 mutated messages the pull reader answers as parsing does")
  func readerAgreesOnMutatedText() {
    var generator = SeededGenerator(seed: 0x7A5C_0DE5)
    let text = Array(Self.full.jsonText.utf8)
    var accepted = 0
    for round in 0..<3_000 {
      var bytes = text
      JSONParserTests.mutate(&bytes, times: 1 + round % 3, using: &generator)
      let (read, parsed) = Self.bothReadings(bytes)
      #expect(read == parsed, "\(String(decoding: bytes, as: UTF8.self))")
      if read != nil { accepted += 1 }
    }
    // Some mutations keep a message of the right shape (a changed digit or letter).
    #expect(accepted > 100)
  }

  @Test("a repeated member: the last one counts, read or parsed")
  func repeatedMember() {
    let text =
      #"{"id":"first","name":"n","args":[],"kwargs":{},"queue":"q","retries":0,"timeLimit":{},"options":{"acksLate":false,"rejectOnWorkerLost":false,"ignoreResult":false,"maxRedeliveries":3},"id":"last"}"#
    let (read, parsed) = Self.bothReadings(Array(text.utf8))
    #expect(read?.id == "last" && read == parsed)
  }

  /// The full message with the optional fields (and time limits) whose bit is clear in `mask`
  /// left out, and default options for every third mask.
  static func variant(_ mask: Int) -> TaskMessage {
    var message = Self.full
    func keep(_ bit: Int) -> Bool { mask & (1 << bit) != 0 }
    if !keep(0) { message.eta = nil }
    if !keep(1) { message.expires = nil }
    if !keep(2) { message.rootID = nil }
    if !keep(3) { message.parentID = nil }
    if !keep(4) { message.groupID = nil }
    if !keep(5) { message.idempotencyKey = nil }
    if !keep(6) { message.workflow = nil }
    if !keep(7) { message.headers = nil }
    if !keep(8) { message.priority = nil }
    if !keep(9) { message.groupIndex = nil }
    if !keep(10) { message.timeLimit.soft = nil }
    if !keep(11) { message.timeLimit.hard = nil }
    if mask % 3 == 0 { message.options = TaskOptions() }
    return message
  }

  @Test("jsonText is byte for byte the sorted-key text of jsonValue, with any optional fields")
  func textMatchesValue() {
    // Every subset of the optional fields, and of the time limits, on the full message.
    for mask in 0..<(1 << 12) {
      let message = Self.variant(mask)
      #expect(message.jsonText == JSONWriter.string(message.jsonValue), "mask \(mask)")
    }
    #expect(Self.minimal.jsonText == JSONWriter.string(Self.minimal.jsonValue))
  }

  /// A tripwire: a stored property added to one of these types must be added to its
  /// `jsonValue` too (and to `full` above), or the child would never receive it.
  @Test("every stored property is covered")
  func coversEveryProperty() {
    #expect(Mirror(reflecting: Self.full).children.count == 18)
    #expect(Mirror(reflecting: Self.full.timeLimit).children.count == 2)
    #expect(Mirror(reflecting: Self.full.options).children.count == 4)
    #expect(Mirror(reflecting: Self.full.workflow!).children.count == 4)
  }
}
