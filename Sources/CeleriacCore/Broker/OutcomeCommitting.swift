/// A broker that can store results and acknowledge deliveries in one atomic write, when the
/// result backend shares its storage (the SQLite file, the Redis server). The supervisor uses
/// it to finish a loop turn's tasks in one transaction or round trip instead of two.
public protocol OutcomeCommitting: Broker {
  /// Whether ``commit(results:expiresIn:acknowledging:)`` writes where `backend` reads.
  func sharesStorage(with backend: any ResultBackend) -> Bool

  /// Publishes `messages` (retries, next workflow steps), stores `results` (each expiring
  /// after `expiresIn`) and acknowledges `tags`, atomically: a crash leaves either all of it
  /// or none, so a retry or a chain step is never published beside a delivery that comes back.
  func commit(
    publishing messages: [TaskMessage], results: [TaskResultRecord], expiresIn: Duration?,
    acknowledging tags: [DeliveryTag]
  ) throws
}

extension OutcomeCommitting {
  /// Stores `results` and acknowledges `tags` atomically (nothing published).
  public func commit(
    results: [TaskResultRecord], expiresIn: Duration?, acknowledging tags: [DeliveryTag]
  ) throws {
    try commit(publishing: [], results: results, expiresIn: expiresIn, acknowledging: tags)
  }
}
