/// Where queued task messages live: the SQLite file or Redis.
///
/// A broker is used from one thread at a time by the supervisor's loop and from any number of
/// producer processes at once; every method is synchronous and either completes or throws a
/// ``CeleriacError``. Claiming is atomic: a claimed task is owned by one consumer, under a
/// lease that the consumer renews; a consumer that stops renewing (it crashed) loses its tasks
/// back to the queue at the next ``recoverAbandoned(now:)`` anywhere.
public protocol Broker: Sendable {
  /// The broker's location without any password, for logs.
  var redactedURL: String { get }

  /// Enqueues messages on their queues (or on the delayed set when their ETA is in the future).
  func publish(_ messages: [TaskMessage]) throws

  /// Atomically takes up to `limit` due messages from `queues` (earlier queues first) for
  /// `consumer`. Messages that cannot be decoded are moved to dead-letter and reported in the
  /// batch, never returned as tasks and never dropped.
  func claim(from queues: [String], limit: Int, consumer: ConsumerIdentity) throws -> ClaimBatch

  /// Removes finished (or early-acknowledged) deliveries for good.
  func acknowledge(_ tags: [DeliveryTag]) throws

  /// Returns deliveries to the front of their queue. With `countAsRedelivery`, the delivery
  /// counter goes up (a lost task); without, it does not (a task that never started).
  func release(_ tags: [DeliveryTag], countAsRedelivery: Bool) throws

  /// Moves a claimed delivery to the dead-letter store with a reason.
  func deadLetter(_ tag: DeliveryTag, reason: String) throws

  /// Extends the lease on everything `consumer` holds; call it well within the lease.
  ///
  /// - Returns: the deliveries handed out for `consumer` that it no longer holds (its lease
  ///   ran out and another consumer recovered them): they must not be started, and settling
  ///   them changes nothing (fencing).
  @discardableResult
  func renewLease(for consumer: ConsumerIdentity) throws -> [DeliveryTag]

  /// Deletes dead letters older than `age`, then all but the newest `limit`; returns how many
  /// were deleted.
  func trimDeadLetters(keeping limit: Int, olderThan age: Duration) throws -> Int

  /// Returns to their queues the deliveries whose consumer's lease ran out. Returns how many.
  func recoverAbandoned() throws -> Int

  /// The number of due messages waiting in each queue (claimed ones excluded).
  func depths(of queues: [String]) throws -> [String: Int]

  /// Deletes every waiting message of `queue`; returns how many.
  func purge(_ queue: String) throws -> Int

  /// The entries in dead-letter, newest first.
  func deadLetters(limit: Int) throws -> [DeadLetterEntry]

  /// Publishes a supervisor's status, replacing its previous one; it disappears after
  /// `expiresIn` unless published again.
  func publishWorkerStatus(_ status: WorkerStatus, expiresIn: Duration) throws

  /// The statuses of every live supervisor using this broker.
  func workerStatuses() throws -> [WorkerStatus]
}

/// Identifies a claimed delivery inside its broker.
public struct DeliveryTag: RawRepresentable, Hashable, Sendable, Codable,
  CustomStringConvertible
{
  /// The broker's own identifier (a row id or a kombu delivery tag).
  public let rawValue: String
  /// Wraps a broker identifier.
  public init(rawValue: String) { self.rawValue = rawValue }
  /// The identifier.
  public var description: String { rawValue }
}

/// A claimed task: the message and how to acknowledge it.
public struct Delivery: Sendable, Equatable {
  /// The broker's identifier for this delivery.
  public var tag: DeliveryTag
  /// The task.
  public var message: TaskMessage
  /// How many times this task came back after its child or supervisor was lost.
  public var redeliveries: Int
  /// `message` as ``TaskMessage`` JSON, when the broker stores it that way (SQLite): the
  /// supervisor forwards it to a child as it is instead of encoding the message again.
  public var messageJSON: String?

  /// Creates a delivery.
  public init(
    tag: DeliveryTag, message: TaskMessage, redeliveries: Int = 0, messageJSON: String? = nil
  ) {
    self.tag = tag
    self.message = message
    self.redeliveries = redeliveries
    self.messageJSON = messageJSON
  }
}

/// What one claim returned.
public struct ClaimBatch: Sendable {
  /// Tasks now owned by the consumer.
  public var deliveries: [Delivery]
  /// Messages that could not be decoded and went to dead-letter.
  public var deadLettered: [DeadLetterEntry]
  /// The ids of the claimed tasks that are revoked, looked up in the broker's own storage in
  /// the claim's transaction; `nil` when the broker did not look. The caller may use it in
  /// place of asking the result backend only when the two share storage
  /// (``OutcomeCommitting/sharesStorage(with:)``).
  public var revoked: Set<String>?

  /// Creates a batch.
  public init(
    deliveries: [Delivery] = [], deadLettered: [DeadLetterEntry] = [], revoked: Set<String>? = nil
  ) {
    self.deliveries = deliveries
    self.deadLettered = deadLettered
    self.revoked = revoked
  }
}

/// A message that will not be run, kept with the reason so nothing is silently dropped.
public struct DeadLetterEntry: Sendable, Equatable, Codable {
  /// The task id, if the message was readable enough to have one.
  public var taskID: String?
  /// The queue it came from.
  public var queue: String
  /// Why it is here.
  public var reason: String
  /// The raw message as it was stored.
  public var payload: String
  /// The broker's identifier for the entry (`celeriac dead-letters show ID`), when read back
  /// from the broker: a row id (SQLite) or a digest of the stored entry (Redis).
  public var id: String?
  /// When it was dead-lettered (Unix seconds), when the broker recorded it.
  public var created: Double?

  /// Creates an entry.
  public init(
    taskID: String?, queue: String, reason: String, payload: String, id: String? = nil,
    created: Double? = nil
  ) {
    self.taskID = taskID
    self.queue = queue
    self.reason = reason
    self.payload = payload
    self.id = id
    self.created = created
  }
}

/// Who holds claimed tasks: one supervisor, for the lease it renews.
public struct ConsumerIdentity: Sendable, Hashable {
  /// How long a claim stays valid without renewal, by default.
  public static let defaultLease: Duration = .seconds(30)

  /// Unique among live consumers, e.g. `worker1@host.1234.ab12`.
  public var id: String
  /// How long a claim stays valid without renewal.
  public var lease: Duration

  /// Creates an identity.
  public init(id: String, lease: Duration = ConsumerIdentity.defaultLease) {
    self.id = id
    self.lease = lease
  }
}
