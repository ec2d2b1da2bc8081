import CeleriacCore
import Foundation
import Testing

@testable import CeleriacRedis

/// Beat's headers travel in the Celery protocol 2 headers and come back on decode.
@Suite("Beat: headers in Celery messages")
struct BeatHeadersTests {
  @Test("celeriac_beat_entry and celeriac_beat_due survive encode and decode")
  func roundTrip() throws {
    var message = TaskMessage(name: "tasks.add", args: [1, 2])
    message.headers = [
      "celeriac_beat_entry": "tick", "celeriac_beat_due": "2026-12-01T10:00:00.000000+00:00",
    ]
    let raw = CeleryProtocol.encode(message, origin: "beat1@host", replyTo: "r")
    guard case .object(let envelope) = try JSONCoding.decode(JSONValue.self, from: raw),
      case .object(let headers)? = envelope["headers"]
    else {
      Issue.record("not a kombu envelope: \(raw)")
      return
    }
    #expect(headers["celeriac_beat_entry"] == "tick")
    #expect(headers["task"] == "tasks.add")
    let decoded = try CeleryProtocol.decode(raw, queue: "celery")
    #expect(decoded.message.headers == message.headers)
    #expect(
      try CeleryProtocol.decode(
        CeleryProtocol.encode(TaskMessage(name: "t"), origin: "o", replyTo: "r"), queue: "celery"
      ).message.headers == nil)
  }
}
