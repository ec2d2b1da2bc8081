/// The Redis keys of the broker and result backend.
///
/// Queues, bindings and results use kombu's and Celery's names, so that Celery producers and
/// workers share them; Celeriac's own bookkeeping lives under `celeriac.`, which Celery never
/// reads.
public enum RedisKeys {
  /// The per-consumer list that claimed messages move into (`LMOVE`), until acknowledged.
  public static func processing(_ consumer: String) -> String { "celeriac.processing." + consumer }
  /// A consumer's liveness key; it expires after the consumer's lease unless renewed.
  public static func liveness(_ consumer: String) -> String { "celeriac.consumer." + consumer }
  /// Hash of a consumer's claimed messages that came from a list other than their routing key
  /// names (a priority list, a custom routing key): message → source list, so that recovery
  /// puts them back where they were.
  public static func origins(_ consumer: String) -> String { "celeriac.origin." + consumer }
  /// The set of consumer ids that may hold claimed messages.
  public static let consumers = "celeriac.consumers"
  /// The sorted set of messages not due yet (score = ETA in Unix seconds), per queue.
  public static func delayed(_ queue: String) -> String { "celeriac.delayed." + queue }
  /// The list of dead-letter entries (JSON `{task_id, queue, reason, payload}`), newest first.
  public static let deadLetter = "celeriac.dead_letter"
  /// The dashboard's samples of queue depths and pool sizes (a list, newest last).
  public static let samples = "celeriac.samples"
  /// A supervisor's status (JSON), expiring unless published again.
  public static func workerStatus(_ hostname: String) -> String { "celeriac.worker." + hostname }
  /// The set of hostnames that published a status.
  public static let workers = "celeriac.workers"
  /// A revoked task id (result backend database).
  public static func revoked(_ taskID: String) -> String { "celeriac.revoked." + taskID }
  /// An idempotency key's holder (result backend database).
  public static func idempotency(_ key: String) -> String { "celeriac.idempotency." + key }
  /// A task name's global rate-limit bucket: its next free start time (Unix seconds).
  public static func rateBucket(_ name: String) -> String { "celeriac.rate." + name }
  /// The slots a task name's global bucket reserved: sorted set task id → slot.
  public static func rateReservations(_ name: String) -> String {
    "celeriac.rate_reserved." + name
  }
  /// kombu's binding set of a queue (`_kombu.binding.celery`).
  public static func binding(_ queue: String) -> String { "_kombu.binding." + queue }
  /// kombu's permanent binding set of a queue (`_kombu.binding_permanent.celery`).
  public static func permanentBinding(_ queue: String) -> String {
    "_kombu.binding_permanent." + queue
  }
}
