import CeleriacCore
import NIOCore

/// A worker's remote-control channel on Redis: a dedicated subscription to
/// `/<db>.celery.pidbox` for requests, the broker's client for replies (see ``CeleryControl``).
final class RedisControlChannel: ControlChannel {
  /// The most requests taken in one ``receive()``, so a flood cannot hold the loop.
  static let maximumBatch = 32
  /// How long a reply list is kept when the caller never reads it.
  static let replyLifetimeSeconds = 300

  private let subscription: RedisSubscription
  private let client: RedisClient

  init(subscription: RedisSubscription, client: RedisClient) {
    self.subscription = subscription
    self.client = client
  }

  func receive() throws -> [ControlRequest] {
    var requests: [ControlRequest] = []
    while requests.count < Self.maximumBatch,
      let payload = try subscription.nextMessageSync(timeout: .zero)
    {
      if let request = CeleryControl.decodeRequest(String(buffer: payload)) {
        requests.append(request)
      }
    }
    return requests
  }

  func reply(_ reply: JSONValue, from hostname: String, to request: ControlRequest) throws {
    guard let address = request.replyTo else { return }
    let list = CeleryControl.replyList(address)
    let envelope = CeleryControl.encodeReply(reply, from: hostname, to: request, address: address)
    try RedisFailure.check(
      client.pipelineSync([
        ["LPUSH", list, envelope], ["EXPIRE", list, Self.replyLifetimeSeconds],
      ]))
  }

  func close() {
    subscription.closeSync()
  }
}

extension RedisBroker: RemoteControlling {
  /// Subscribes to Celery's remote-control channel of the broker's database.
  public func openControlChannel(hostname: String) throws -> any ControlChannel {
    let subscription = try perform("subscribe to remote control") {
      try client.subscribeSync(to: CeleryControl.channel(database: url.database))
    }
    return RedisControlChannel(subscription: subscription, client: client)
  }
}
