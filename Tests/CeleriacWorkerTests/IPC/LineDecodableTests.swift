import CeleriacCore
import CeleriacWorker
import Foundation
import Testing

@Suite("ChildEvent's fast line path agrees with Codable")
struct LineDecodableTests {
  @Test(
    "the fast path reads what Codable reads, or leaves the line to Codable",
    arguments: [
      ChildEvent.heartbeat, .ready(pid: 4242),
      .finished(tag: "t-1", outcome: .success(["sum": 3, "parts": [1, 2.5, nil]]), rssKiB: 9000),
      .finished(tag: "t-2", outcome: .success(nil), rssKiB: 0),
      .finished(tag: "t-3", outcome: .retry(countdown: 2, reason: "later"), rssKiB: 1),
      .progress(tag: "t-4", state: TaskState(rawValue: "PROGRESS"), meta: ["done": 1]),
    ])
  func agreesWithCodable(event: ChildEvent) throws {
    let line = try JSONCoding.encodeString(event)
    let viaCodable = try JSONCoding.decode(ChildEvent.self, from: line)
    if let fast = ChildEvent.decodeFast(line: line) {
      #expect(fast == viaCodable)
    } else {
      // Only the forms that come once per task are on the fast path.
      guard case .finished(_, let outcome, _) = event, case .success = outcome else { return }
      Issue.record("a successful finish fell off the fast path: \(line)")
    }
  }

  @Test(
    "lines of the wrong shape leave the fast path",
    arguments: [
      #"{"type":"ready","pid":"x"}"#, #"{"type":"ready","pid":99999999999}"#,
      #"{"type":"finished","tag":1}"#, #"{"type":"heartbeat","pid":1}"#, #"[]"#,
      #"{"type":"finished","tag":"t","outcome":{"type":"success"},"rssKiB":1}"#,
      #"{"ready":{"pid":1}}"#, #"{"type":"lost"}"#,
      #"{"type":"heartbeat","type":"heartbeat"}"#, #"{"type":"heartbeat""#,
      #"{"type":"finished","tag":"t","outcome":{"type":"success","value":1,"value":2},"rssKiB":1}"#,
      #"{"type":"finished","tag":"t","outcome":[],"rssKiB":1,"x":0}"#,
    ])
  func wrongShapes(line: String) throws {
    #expect(ChildEvent.decodeFast(line: line) == nil)
  }
}

@Suite("SupervisorCommand.runLine decodes as the Codable run command")
struct RunLineTests {
  @Test("with and without a soft limit, with a tag that needs escaping", arguments: [nil, 2.5])
  func decodesAsCodable(softTimeLimit: Double?) throws {
    let message = TaskMessage(name: "tasks.add", args: [1, 2], headers: ["k": "v"])
    let line = try SupervisorCommand.runLine(
      tag: "tag \"quoted\"", messageJSON: JSONWriter.string(message.jsonValue),
      softTimeLimit: softTimeLimit)
    let decoded = try JSONCoding.decode(SupervisorCommand.self, from: Data(line.dropLast()))
    #expect(
      decoded
        == .run(RunRequest(tag: "tag \"quoted\"", message: message, softTimeLimit: softTimeLimit)))
    #expect(line.last == UInt8(ascii: "\n"))
    let fast = SupervisorCommand.decodeFast(line: String(decoding: line.dropLast(), as: UTF8.self))
    #expect(fast == decoded)
    // The line written around the message itself is the same bytes.
    let request = RunRequest(tag: "tag \"quoted\"", message: message, softTimeLimit: softTimeLimit)
    #expect(SupervisorCommand.runLine(request) == line)
  }

  @Test(
    "a successful finish written by the fast path decodes as Codable's",
    arguments: [
      ["sum": 3, "text": "a\"b", "list": [1.5, nil, true]] as JSONValue, nil, .double(.nan),
    ])
  func finishedLine(value: JSONValue) throws {
    let event = ChildEvent.finished(tag: "t", outcome: .success(value), rssKiB: 1234)
    guard let line = event.fastLine else {
      #expect(!value.isFinite, "only values JSON cannot write leave the fast path")
      return
    }
    #expect(try JSONCoding.decode(ChildEvent.self, from: line) == event)
  }
}

extension JSONValue {
  fileprivate var isFinite: Bool {
    if case .double(let number) = self { return number.isFinite }
    return true
  }
}

@Suite("The IPC wire form is written out, not the compiler's enum coding")
struct IPCWireFormTests {
  static let childEvents: [(ChildEvent, String)] = [
    (.heartbeat, #"{"type":"heartbeat"}"#),
    (.ready(pid: 7), #"{"pid":7,"type":"ready"}"#),
    (
      .progress(tag: "t", state: TaskState(rawValue: "PROGRESS"), meta: ["done": 1]),
      #"{"meta":{"done":1},"state":"PROGRESS","tag":"t","type":"progress"}"#
    ),
    (
      .finished(tag: "t", outcome: .success(3), rssKiB: 10),
      #"{"outcome":{"type":"success","value":3},"rssKiB":10,"tag":"t","type":"finished"}"#
    ),
    (
      .finished(tag: "t", outcome: .retry(countdown: nil, reason: "later"), rssKiB: 1),
      #"{"outcome":{"reason":"later","type":"retry"},"rssKiB":1,"tag":"t","type":"finished"}"#
    ),
  ]

  @Test("each child event's line", arguments: childEvents)
  func childEvent(_ event: ChildEvent, _ line: String) throws {
    #expect(try JSONCoding.encodeString(event) == line)
    #expect(try JSONCoding.decode(ChildEvent.self, from: line) == event)
  }

  @Test("shutdown, and a type the decoder does not know")
  func commands() throws {
    #expect(try JSONCoding.encodeString(SupervisorCommand.shutdown) == #"{"type":"shutdown"}"#)
    #expect(throws: DecodingError.self) {
      try JSONCoding.decode(SupervisorCommand.self, from: #"{"type":"explode"}"#)
    }
    #expect(throws: DecodingError.self) {
      try JSONCoding.decode(ChildEvent.self, from: #"{"finished":{"_0":1}}"#)
    }
  }
}
