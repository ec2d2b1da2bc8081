/// What a running task knows about itself, and how it reports progress.
public struct TaskContext: Sendable {
  /// The task's id.
  public let taskID: String
  /// The task's registered name.
  public let name: String
  /// How many times it has been retried before this run.
  public let retries: Int
  /// The queue it came from.
  public let queue: String
  private let progressSink: @Sendable (TaskState, JSONValue) -> Void

  /// Creates a context; `progressSink` receives every ``reportProgress(_:state:)`` call.
  public init(
    taskID: String, name: String, retries: Int, queue: String,
    progressSink: @escaping @Sendable (TaskState, JSONValue) -> Void
  ) {
    self.taskID = taskID
    self.name = name
    self.retries = retries
    self.queue = queue
    self.progressSink = progressSink
  }

  /// Stores a custom state with metadata, e.g. `PROGRESS` with `{"current": 3, "total": 10}`;
  /// callers of `AsyncResult` see it until the task finishes.
  public func reportProgress(_ meta: JSONValue, state: TaskState = .progress) {
    progressSink(state, meta)
  }

  /// Throws ``SoftTimeLimitExceeded`` once the soft time limit passed (the task was cancelled).
  /// Long loops call this between steps; `Task.sleep` and other cancellable waits throw too.
  public func checkSoftTimeLimit() throws {
    if Task.isCancelled { throw SoftTimeLimitExceeded() }
  }
}

/// Thrown inside a task whose soft time limit passed; a task may catch it to clean up.
public struct SoftTimeLimitExceeded: Error, Sendable, CustomStringConvertible {
  /// Creates the error.
  public init() {}
  /// A one-line description.
  public var description: String { "soft time limit exceeded" }
}

/// Thrown by a task to ask for a retry, e.g. after a transient error.
public struct RetryRequest: Error, Sendable {
  /// Run again after this long; `nil` uses the task's retry policy.
  public var countdown: Duration?
  /// Why.
  public var reason: String
  /// Creates a retry request.
  public init(after countdown: Duration? = nil, reason: String = "retry requested") {
    self.countdown = countdown
    self.reason = reason
  }
}
