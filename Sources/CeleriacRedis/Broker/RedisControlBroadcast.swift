import CeleriacCore
import Foundation
import NIOCore

extension RedisBroker {
  /// Extra time the client waits for a `BRPOP` reply beyond the pop's own timeout.
  static let blockingPopMargin: Duration = .seconds(2)

  /// Celery's caller side (`celery inspect`, captured in `shared/celery-wire/control/`): binds a
  /// fresh reply list, PUBLISHes the request on `/<db>.celery.pidbox`, then `BRPOP`s replies
  /// until the timeout or `limit` replies; replies to other tickets are dropped.
  public func broadcast(_ request: ControlRequest, timeout: Duration, limit: Int?) throws
    -> [ControlReply]
  {
    let timeout = min(max(timeout, .zero), ControlBroadcastLimits.maximumTimeout)
    let limit = min(
      max(limit ?? ControlBroadcastLimits.maximumReplies, 1), ControlBroadcastLimits.maximumReplies)
    let oid = UUID().lowercasedText
    let ticket = UUID().lowercasedText
    let address = ControlReplyAddress(exchange: CeleryControl.replyExchange, routingKey: oid)
    var outgoing = request
    outgoing.ticket = ticket
    outgoing.replyTo = address
    let list = CeleryControl.replyList(address)
    let bindings = RedisKeys.binding(CeleryControl.replyExchange)
    let member = CeleryControl.replyBinding(routingKey: oid)
    let envelope = CeleryControl.encodeRequest(
      outgoing, address: address, expires: Date().timeIntervalSince1970 + timeout.seconds)
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    return try perform("broadcast \(request.method)") {
      try RedisFailure.check(
        client.pipelineSync([
          ["SADD", bindings, member],
          ["PUBLISH", CeleryControl.channel(database: url.database), envelope],
        ]))
      defer {
        _ = try? client.pipelineSync([["SREM", bindings, member], ["DEL", list]])
      }
      var replies: [ControlReply] = []
      var seen: Set<String> = []
      while replies.count < limit {
        let remaining = deadline - clock.now
        guard remaining > .zero else { break }
        let seconds = String(format: "%.3f", max(remaining.seconds, 0.001))
        let wait = remaining + Self.blockingPopMargin
        let popped = try client.sendSync(
          ["BRPOP", list, seconds], timeout: .milliseconds(wait.wholeMilliseconds))
        guard let pair = popped.array, pair.count == 2, let raw = pair[1].string else { continue }
        if let reply = CeleryControl.decodeReply(raw, ticket: ticket),
          seen.insert(reply.hostname).inserted
        {
          replies.append(reply)
        }
      }
      return replies
    }
  }
}
