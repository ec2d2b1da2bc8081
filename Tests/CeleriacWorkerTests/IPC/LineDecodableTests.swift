import CeleriacCore
import CeleriacWorker
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
    if let fast = ChildEvent.decodeFast(try JSONValue(parsing: line)) {
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
      #"{"ready":{"pid":"x"}}"#, #"{"ready":{"pid":99999999999}}"#, #"{"finished":{"tag":1}}"#,
      #"{"heartbeat":{},"ready":{"pid":1}}"#, #"[]"#,
      #"{"finished":{"tag":"t","outcome":{"success":{}},"rssKiB":1}}"#,
    ])
  func wrongShapes(line: String) throws {
    #expect(ChildEvent.decodeFast(try JSONValue(parsing: line)) == nil)
  }
}
