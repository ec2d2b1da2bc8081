/// A broker whose waiting messages can be looked at without claiming them (the dashboard's
/// queued tasks), in the order they will be claimed.
public protocol QueuePeeking: Broker {
  /// Up to `limit` due or delayed messages waiting in `queue`, next first; messages that
  /// cannot be decoded are left out (a claim dead-letters them).
  func peek(_ queue: String, limit: Int) throws -> [TaskMessage]
}

/// Bounds on a peek, shared by both brokers.
public enum QueuePeekLimits {
  /// The most messages one peek returns.
  public static let maximumCount = 500
  /// The longest queue name accepted.
  public static let maximumQueueLength = 200
}
