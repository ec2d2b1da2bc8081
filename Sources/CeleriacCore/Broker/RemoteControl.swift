/// One request of Celery's remote-control protocol (`celery inspect …`, `celery control …`,
/// Flower), as a worker receives it from the broker.
public struct ControlRequest: Sendable, Equatable {
  /// The command, e.g. `ping`, `active`, `pool_grow`.
  public var method: String
  /// Its arguments, e.g. `{"n": 1}` for `pool_grow`.
  public var arguments: [String: JSONValue]
  /// The workers addressed (`nil`: every worker).
  public var destination: [String]?
  /// The request's ticket, echoed in the reply so the caller can match it.
  public var ticket: String?
  /// Where the reply goes (`nil`: no reply wanted).
  public var replyTo: ControlReplyAddress?

  /// Creates a request.
  public init(
    method: String, arguments: [String: JSONValue] = [:], destination: [String]? = nil,
    ticket: String? = nil, replyTo: ControlReplyAddress? = nil
  ) {
    self.method = method
    self.arguments = arguments
    self.destination = destination
    self.ticket = ticket
    self.replyTo = replyTo
  }

  /// Whether the worker named `hostname` should act on it.
  public func isAddressed(to hostname: String) -> Bool {
    destination.map { $0.isEmpty || $0.contains(hostname) } ?? true
  }
}

/// The exchange and routing key a remote-control reply is published to.
public struct ControlReplyAddress: Sendable, Equatable {
  /// Celery's reply exchange, `reply.celery.pidbox`.
  public var exchange: String
  /// The caller's own key (its oid).
  public var routingKey: String

  /// Creates an address.
  public init(exchange: String, routingKey: String) {
    self.exchange = exchange
    self.routingKey = routingKey
  }
}

/// A worker's end of the remote-control channel: requests in, replies out. Owned by the
/// supervisor's loop thread; ``receive()`` never blocks.
public protocol ControlChannel: AnyObject {
  /// The requests that arrived since the last call (none when there are none; never waits).
  func receive() throws -> [ControlRequest]
  /// Sends `{hostname: reply}` to the request's reply address.
  func reply(_ reply: JSONValue, from hostname: String, to request: ControlRequest) throws
  /// Closes the channel.
  func close()
}

/// A broker whose workers can be inspected and controlled remotely.
public protocol RemoteControlling: Broker {
  /// Opens the channel a worker named `hostname` listens on.
  func openControlChannel(hostname: String) throws -> any ControlChannel

  /// The caller's end: sends `request` (its `method`, `arguments` and `destination`; the
  /// broker sets the ticket and reply address) to every live worker and collects the replies
  /// that arrive within `timeout`, returning early once `limit` workers have answered.
  func broadcast(_ request: ControlRequest, timeout: Duration, limit: Int?) throws
    -> [ControlReply]
}

/// Bounds on a broadcast, shared by both brokers.
public enum ControlBroadcastLimits {
  /// The longest a caller may wait for replies.
  public static let maximumTimeout: Duration = .seconds(3_600)
  /// The most replies one broadcast collects (a flood of replies cannot grow without end).
  public static let maximumReplies = 10_000
}
