import Foundation

/// One task as it travels through a broker: which function to run, with what, and how.
///
/// This is Celeriac's own model; the Redis broker maps it to and from Celery's protocol 2
/// message, the SQLite broker stores it as JSON.
public struct TaskMessage: Codable, Sendable, Equatable {
  /// The task's id (a UUID string); results are stored under it.
  public var id: String
  /// The registered task name, e.g. `tasks.add`.
  public var name: String
  /// Positional arguments.
  public var args: [JSONValue]
  /// Keyword arguments.
  public var kwargs: [String: JSONValue]
  /// The queue the task was sent to.
  public var queue: String
  /// Not to run before this time (countdown / ETA).
  public var eta: Date?
  /// Not to run after this time: a task still queued then is stored as `REVOKED`.
  public var expires: Date?
  /// How many times the task has been retried so far.
  public var retries: Int
  /// Soft and hard time limits in seconds, overriding the worker's.
  public var timeLimit: TimeLimits
  /// Delivery and result options.
  public var options: TaskOptions
  /// The id of the first task of the workflow this one belongs to.
  public var rootID: String?
  /// The id of the task that sent this one.
  public var parentID: String?
  /// The id of the group this task is part of.
  public var groupID: String?
  /// Its position in that group (Celery's `group_index`): where a chord stores its result
  /// among the header's.
  public var groupIndex: Int?
  /// A key that makes a second send of the same work a no-op while the first is known.
  public var idempotencyKey: String?
  /// Callbacks, errbacks, chain steps and chord body that follow this task (Celery's embed).
  public var workflow: TaskWorkflow?
  /// Extra headers that travel with the message (on Redis, in Celery's message headers), e.g.
  /// beat's entry name and due time; `nil` when there are none.
  public var headers: [String: JSONValue]?
  /// The delivery priority, 0 to 9 with Celery's meaning on Redis: **lower runs first**
  /// (kombu reads `celery` before `celery\x06\x163` …); `nil` is Celery's default, 0. See
  /// ``TaskPriority``.
  public var priority: Int?

  /// Creates a message; the id defaults to a fresh UUID.
  public init(
    id: String = UUID().lowercasedText, name: String, args: [JSONValue] = [],
    kwargs: [String: JSONValue] = [:], queue: String = TaskOptions.defaultQueue,
    eta: Date? = nil, expires: Date? = nil, retries: Int = 0,
    timeLimit: TimeLimits = TimeLimits(), options: TaskOptions = TaskOptions(),
    rootID: String? = nil, parentID: String? = nil, groupID: String? = nil,
    idempotencyKey: String? = nil, workflow: TaskWorkflow? = nil,
    headers: [String: JSONValue]? = nil, priority: Int? = nil, groupIndex: Int? = nil
  ) {
    self.id = id
    self.name = name
    self.args = args
    self.kwargs = kwargs
    self.queue = queue
    self.eta = eta
    self.expires = expires
    self.retries = retries
    self.timeLimit = timeLimit
    self.options = options
    self.rootID = rootID
    self.parentID = parentID
    self.groupID = groupID
    self.idempotencyKey = idempotencyKey
    self.workflow = workflow
    self.headers = headers
    self.priority = priority
    self.groupIndex = groupIndex
  }
}

/// Soft and hard time limits in seconds; `nil` means the worker's default.
public struct TimeLimits: Codable, Sendable, Equatable {
  /// After this many seconds the task is cancelled cooperatively (`SoftTimeLimitExceeded`).
  public var soft: Double?
  /// After this many seconds the child is killed and the task fails (`TimeLimitExceeded`).
  public var hard: Double?

  /// Creates time limits.
  public init(soft: Double? = nil, hard: Double? = nil) {
    self.soft = soft
    self.hard = hard
  }
}

/// How a task is delivered and how its outcome is kept.
public struct TaskOptions: Codable, Sendable, Equatable {
  /// The queue name Celery uses by default.
  public static let defaultQueue = "celery"
  /// How many times a task whose child died may go back to the queue before it fails for good.
  public static let defaultMaxRedeliveries = 3

  /// Acknowledge after the task finished rather than when it starts.
  public var acksLate: Bool
  /// With `acksLate`: return the task to the queue when its child dies, instead of failing it.
  public var rejectOnWorkerLost: Bool
  /// Do not store the result.
  public var ignoreResult: Bool
  /// How many times a lost task may be redelivered before it fails with `WorkerLostError`.
  public var maxRedeliveries: Int

  /// Creates options; every flag defaults to Celery's default.
  public init(
    acksLate: Bool = false, rejectOnWorkerLost: Bool = false, ignoreResult: Bool = false,
    maxRedeliveries: Int = TaskOptions.defaultMaxRedeliveries
  ) {
    self.acksLate = acksLate
    self.rejectOnWorkerLost = rejectOnWorkerLost
    self.ignoreResult = ignoreResult
    self.maxRedeliveries = maxRedeliveries
  }

  /// Whether a task whose child died goes back to the queue (Celery's acks-late +
  /// reject-on-worker-lost).
  public var requeuesWhenLost: Bool { acksLate && rejectOnWorkerLost }
}
