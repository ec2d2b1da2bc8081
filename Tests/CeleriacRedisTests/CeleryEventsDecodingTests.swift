import CeleriacCore
import CeleriacRedis
import Foundation
import Testing

@Suite("CeleryEvents.decode: what a monitor reads off the celeryev channels")
struct CeleryEventsDecodingTests {
  /// A Python Celery 5.7 worker's `task.multi` PUBLISH, from shared/celery-wire/control.
  static let capturedTaskStarted = #"""
    {"body": "W3siaG9zdG5hbWUiOiAicHl3b3JrZXJAdm0iLCAidXRjb2Zmc2V0IjogMC4wLCAicGlkIjogMTk4NiwgImNsb2NrIjogMjEsICJ1dWlkIjogIjUwMGNkYjc4LWIyYzMtNDIzZS04ZDhlLWRjMzczOWJjZDI1ZSIsICJ0aW1lc3RhbXAiOiAxNzk2MTE3MDI2LjAwMDA0NCwgInR5cGUiOiAidGFzay1zdGFydGVkIn1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"hostname": "pyworker@vm"}, "properties": {"delivery_mode": 1, "delivery_info": {"exchange": "celeryev", "routing_key": "task.multi"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "32749fc8-94bf-4623-a50d-a0645ff55df9"}}
    """#

  @Test("a Python worker's captured task.multi decodes to its task-started")
  func decodesCapture() throws {
    let events = try #require(CeleryEvents.decode(Self.capturedTaskStarted))
    #expect(events.count == 1)
    #expect(events.first?.routingKey == "task.multi")
    #expect(events.first?.fields["type"] == "task-started")
    #expect(events.first?.fields["uuid"] == "500cdb78-b2c3-423e-8d8e-dc3739bcd25e")
    #expect(events.first?.fields["hostname"] == "pyworker@vm")
  }

  @Test("what Celeriac publishes decodes to the same events")
  func roundTrip() throws {
    let fields: [String: JSONValue] = ["type": "worker-heartbeat", "hostname": "h", "active": 2]
    let envelope = CeleryEvents.envelope(
      .object(fields), routingKey: "worker.heartbeat", hostname: "h")
    #expect(
      CeleryEvents.decode(envelope) == [WorkerEvent(routingKey: "worker.heartbeat", fields: fields)]
    )
  }

  @Test(
    "hostile envelopes are skipped, never a trap",
    arguments: [
      "", "null", "[]", #"{"body": 5}"#,
      #"{"body": "!!!", "properties": {"body_encoding": "base64"}}"#,
      #"{"body": "e30=", "properties": {"body_encoding": "rot13"}}"#,
      #"{"body": "W10=", "properties": {"body_encoding": "base64"}}"#,
      #"{"body": "WzFd", "properties": {"body_encoding": "base64"}}"#,
      #"{"body": "{\"no\": \"type\"}"}"#, String(repeating: "[", count: 100_000),
    ])
  func hostile(_ raw: String) {
    let events = CeleryEvents.decode(raw)
    #expect(events == nil || events == [])
  }
}
