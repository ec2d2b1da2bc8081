import Celeriac
import Foundation

/// What the dashboard reads and changes, on the broker and the result backend: every call runs
/// on a thread of its own (the broker API is synchronous), never on Swift's cooperative pool.
public final class DashboardStore: Sendable {
  /// The most queues whose depth one overview reads.
  public static let maximumQueues = 100
  /// The most dead letters one listing returns.
  public static let maximumDeadLetters = 500

  private let connection: Connection
  private let executor = BlockingExecutor(label: "celeriac.dashboard.store")
  private let controlTimeout: Duration

  /// A store over an open connection.
  public init(connection: Connection, controlTimeout: Duration) {
    self.connection = connection
    self.controlTimeout = controlTimeout
  }

  /// The broker's location without its password.
  public var brokerURL: String { connection.broker.redactedURL }
  /// The backend's location without its password.
  public var backendURL: String { connection.backend.redactedURL }

  /// Every live worker's status, by hostname.
  public func workers() async throws -> [WorkerStatus] {
    let broker = connection.broker
    return try await executor.run { try broker.workerStatuses() }
      .sorted { $0.hostname < $1.hostname }
  }

  /// The depth of `queues` (at most ``maximumQueues``).
  public func depths(of queues: [String]) async throws -> [String: Int] {
    let broker = connection.broker
    let names = Array(Set(queues).sorted().prefix(Self.maximumQueues))
    return try await executor.run { try broker.depths(of: names) }
  }

  /// One page of stored tasks.
  public func tasks(_ query: TaskQuery) async throws -> TaskPage {
    let listing = try listingBackend()
    return try await executor.run { try listing.tasks(matching: query) }
  }

  /// Tasks by state per bucket since `since`.
  public func counts(since: Date, bucket: Duration) async throws -> [TaskCountBucket] {
    let listing = try listingBackend()
    return try await executor.run { try listing.taskCounts(since: since, bucket: bucket) }
  }

  /// The stored record of a task and whether it is revoked.
  public func task(_ id: String) async throws -> (record: TaskResultRecord?, revoked: Bool) {
    let backend = connection.backend
    return try await executor.run {
      (try backend.result(for: id), try backend.revoked(among: [id]).contains(id))
    }
  }

  /// The newest dead letters.
  public func deadLetters(limit: Int) async throws -> [DeadLetterEntry] {
    let broker = try deadLetterBroker()
    return try await executor.run { try broker.deadLetters(limit: limit) }
  }

  /// One dead letter with its payload.
  public func deadLetter(_ id: String) async throws -> DeadLetterEntry? {
    let broker = try deadLetterBroker()
    return try await executor.run { try broker.deadLetter(id: id) }
  }

  /// Replays dead letters; returns the ids replayed.
  public func replay(_ ids: [String]) async throws -> [String] {
    let broker = try deadLetterBroker()
    return try await executor.run { try broker.replayDeadLetters(ids) }
  }

  /// Deletes every dead letter; returns how many.
  public func purgeDeadLetters() async throws -> Int {
    let broker = try deadLetterBroker()
    return try await executor.run { try broker.purgeDeadLetters() }
  }

  /// Revokes a task in the backend (a worker that has not started it will not) and tells the
  /// live workers (Celery's `revoke`); with `terminate`, the child running it is sent SIGTERM.
  /// Returns the hostnames that replied.
  public func revoke(_ id: String, terminate: Bool) async throws -> [String] {
    let backend = connection.backend
    let broker = connection.broker
    let timeout = controlTimeout
    return try await executor.run {
      try backend.revoke([id])
      guard let control = broker as? any RemoteControlling else { return [] }
      let live = (try? broker.workerStatuses().count) ?? 0
      guard live > 0 else { return [] }
      let request = ControlRequest(
        method: "revoke",
        arguments: [
          "task_id": .array([.string(id)]), "terminate": .bool(terminate),
          "signal": .string("SIGTERM"),
        ], destination: nil)
      return try control.broadcast(request, timeout: timeout, limit: live).map(\.hostname).sorted()
    }
  }

  /// The next `limit` messages waiting in each of `queues` (nothing when the broker cannot
  /// peek), next first.
  public func queued(in queues: [String], limit: Int) async throws -> [TaskMessage] {
    guard let peeking = connection.broker as? any QueuePeeking else { return [] }
    let names = Array(Set(queues).sorted().prefix(Self.maximumQueues))
    return try await executor.run { try names.flatMap { try peeking.peek($0, limit: limit) } }
  }

  /// The queues the live workers serve, and `celery`.
  public func knownQueues() async throws -> [String] {
    var queues: Set<String> = [TaskOptions.defaultQueue]
    for worker in try await workers() { for pool in worker.pools { queues.formUnion(pool.queues) } }
    return queues.sorted()
  }

  /// Keeps `sample` in the broker, the newest `limit` kept (nothing when the broker keeps no
  /// samples).
  public func keep(_ sample: String, limit: Int) async throws {
    guard let history = connection.broker as? any SampleHistoryStoring else { return }
    try await executor.run { try history.appendSample(sample, keeping: limit) }
  }

  /// The newest `limit` samples the broker kept, oldest first.
  public func keptSamples(limit: Int) async throws -> [String] {
    guard let history = connection.broker as? any SampleHistoryStoring else { return [] }
    return try await executor.run { try history.recentSamples(limit: limit) }
  }

  private func listingBackend() throws -> any TaskListing {
    guard let listing = connection.backend as? any TaskListing else {
      throw DashboardError(
        .unsupported, "the result backend \(connection.backend.redactedURL) lists no tasks")
    }
    return listing
  }

  private func deadLetterBroker() throws -> any DeadLetterAdministering {
    guard let broker = connection.broker as? any DeadLetterAdministering else {
      throw DashboardError(
        .unsupported, "the broker \(connection.broker.redactedURL) keeps no dead letters")
    }
    return broker
  }
}
