import CeleriacCore
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
  }

  @Test("jsonText is byte for byte the sorted-key text of jsonValue, with any optional fields")
  func textMatchesValue() {
    // Every subset of the optional fields, and of the time limits, on the full message.
    for mask in 0..<(1 << 12) {
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
