/// One event of Celery's event protocol (`celery events`, Flower): its routing key
/// (`worker.heartbeat`, `task.multi`, …) and its fields (`type`, `hostname`, `timestamp`, …).
public struct WorkerEvent: Sendable, Equatable {
  /// The key it is published under.
  public var routingKey: String
  /// The event's fields, `type` included.
  public var fields: [String: JSONValue]

  /// Creates an event.
  public init(routingKey: String, fields: [String: JSONValue]) {
    self.routingKey = routingKey
    self.fields = fields
  }
}

/// A broker that carries Celery's events to monitors.
public protocol EventPublishing: Broker {
  /// Publishes `events` in one round trip, in order; task events that share a routing key
  /// may travel together, as Celery batches them in `task.multi`.
  func publishEvents(_ events: [WorkerEvent]) throws
}
