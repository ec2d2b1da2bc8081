import CeleriacCore
import Foundation
import Testing

@testable import CeleriacRedis

/// The caller's side of Celery's remote control: the request envelope as `celery inspect`
/// writes it (`shared/celery-wire/control/monitor_inspect_ping.txt`) and replies read back.
@Suite("Celery remote-control envelopes")
struct CeleryControlTests {
  let address = ControlReplyAddress(exchange: CeleryControl.replyExchange, routingKey: "oid-1")

  @Test("a request encoded for the wire decodes as a worker reads it")
  func requestRoundTrip() throws {
    let request = ControlRequest(
      method: "revoke", arguments: ["task_id": ["a", "b"], "terminate": true],
      destination: ["w1@h"], ticket: "t-1")
    let raw = CeleryControl.encodeRequest(request, address: address, expires: 1_796_117_018)
    var expected = request
    expected.replyTo = address
    #expect(CeleryControl.decodeRequest(raw) == expected)
    let envelope = try JSONCoding.decode(JSONValue.self, from: raw)
    #expect(envelope["properties"]?["delivery_info"]?["exchange"] == "celery.pidbox")
    #expect(envelope["headers"]?["expires"]?.doubleValue == 1_796_117_018)
  }

  @Test("a reply is read only for its own ticket, and only in Celery's shape")
  func replies() {
    let request = ControlRequest(method: "ping", ticket: "t-2", replyTo: address)
    let raw = CeleryControl.encodeReply(["ok": "pong"], from: "w1@h", to: request, address: address)
    #expect(
      CeleryControl.decodeReply(raw, ticket: "t-2")
        == ControlReply(hostname: "w1@h", reply: ["ok": "pong"]))
    #expect(CeleryControl.decodeReply(raw, ticket: "other") == nil)
    // A Python worker's reply as captured.
    let python = #"""
      {"body": "eyJweXdvcmtlckB2bSI6IHsib2siOiAicG9uZyJ9fQ==", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"ticket": "b7186547-f0f9-454a-8ffb-2c5ef77a66fd", "clock": 3}, "properties": {}}
      """#
    #expect(
      CeleryControl.decodeReply(python, ticket: "b7186547-f0f9-454a-8ffb-2c5ef77a66fd")?.hostname
        == "pyworker@vm")
  }

  @Test(
    "hostile replies are dropped, never trapped on",
    arguments: [
      "", "{", "[]", #"{"body": 5}"#, #"{"body": "%%%"}"#,
      #"{"body": "\#(Data("[1]".utf8).base64EncodedString())"}"#,
      #"{"body": "\#(Data(#"{"a": 1, "b": 2}"#.utf8).base64EncodedString())"}"#,
      #"{"body": "\#(Data(#"{"": 1}"#.utf8).base64EncodedString())"}"#,
      #"{"body": "\#(Data("{\"\(String(repeating: "h", count: 600))\": 1}".utf8).base64EncodedString())"}"#,
    ])
  func hostileReplies(_ raw: String) {
    #expect(CeleryControl.decodeReply(raw, ticket: "t") == nil)
  }

  @Test("the reply binding is kombu's: routing key, empty pattern, queue")
  func binding() {
    #expect(
      CeleryControl.replyBinding(routingKey: "k")
        == "k\u{06}\u{16}\u{06}\u{16}k.reply.celery.pidbox")
  }
}
