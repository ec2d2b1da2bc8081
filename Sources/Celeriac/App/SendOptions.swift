import Foundation

/// How one send differs from the task's defaults (Celery's `apply_async` options).
public struct SendOptions: Sendable {
  /// The queue; `nil`: the task's default queue.
  public var queue: String?
  /// Run no sooner than this long from now.
  public var countdown: Duration?
  /// Run no sooner than this time (wins over `countdown`).
  public var eta: Date?
  /// Revoke the task if it has not started by this time.
  public var expires: Date?
  /// Use this id instead of a fresh UUID.
  public var taskID: String?
  /// Override the task's time limits.
  public var timeLimit: TimeLimits?
  /// Override the task's delivery options.
  public var options: TaskOptions?
  /// Send at most once while a task with this key is known (see ``CeleriacApp/send(_:args:kwargs:options:)``).
  public var idempotencyKey: String?
  /// The priority, 0 to 9, lower first (see ``TaskPriority``); `nil`: the task's default.
  /// Out of range, the send throws ``CeleriacError`` `.malformedMessage`.
  public var priority: Int?

  /// Creates options; every field defaults to "as the task says".
  public init(
    queue: String? = nil, countdown: Duration? = nil, eta: Date? = nil, expires: Date? = nil,
    taskID: String? = nil, timeLimit: TimeLimits? = nil, options: TaskOptions? = nil,
    idempotencyKey: String? = nil, priority: Int? = nil
  ) {
    self.queue = queue
    self.countdown = countdown
    self.eta = eta
    self.expires = expires
    self.taskID = taskID
    self.timeLimit = timeLimit
    self.options = options
    self.idempotencyKey = idempotencyKey
    self.priority = priority
  }
}
