/// A broker that can store results and acknowledge deliveries in one atomic write, when the
/// result backend shares its storage (the SQLite file, the Redis server). The supervisor uses
/// it to finish a loop turn's tasks in one transaction or round trip instead of two.
public protocol OutcomeCommitting: Broker {
  /// Whether ``commit(results:expiresIn:acknowledging:)`` writes where `backend` reads.
  func sharesStorage(with backend: any ResultBackend) -> Bool

  /// Stores `results` (each expiring after `expiresIn`), then acknowledges `tags`, atomically.
  func commit(results: [TaskResultRecord], expiresIn: Duration?, acknowledging tags: [DeliveryTag])
    throws
}
