/// Why a task failed, in the shape Celery stores (`exc_type`, `exc_message`, `exc_module`),
/// so that a Python client raises a sensible exception.
public struct TaskFailure: Codable, Sendable, Equatable, Error, CustomStringConvertible {
  /// Celery's type name for a child that died while running the task.
  public static let workerLost = "WorkerLostError"
  /// The type name for a task that exceeded its hard time limit.
  public static let timeLimitExceeded = "TimeLimitExceeded"
  /// The type name for a task that exceeded its soft time limit and did not finish.
  public static let softTimeLimitExceeded = "SoftTimeLimitExceeded"
  /// The type name for a task name no worker has registered.
  public static let notRegistered = "NotRegistered"
  /// The type name for arguments that do not fit the task.
  public static let badArguments = "TypeError"
  /// The type name for a message that could not be decoded.
  public static let badMessage = "ContentDisallowed"

  /// The error's type name, e.g. `ValueError`.
  public var type: String
  /// The error's message.
  public var message: String
  /// The module the type lives in; Python looks the exception class up there.
  public var module: String
  /// A traceback or other detail, if any.
  public var traceback: String?

  /// Creates a failure description.
  public init(type: String, message: String, module: String = "builtins", traceback: String? = nil)
  {
    self.type = type
    self.message = message
    self.module = module
    self.traceback = traceback
  }

  /// `Type: message`.
  public var description: String { "\(type): \(message)" }

  /// Celery's module for its own exceptions.
  public static let celeryExceptionsModule = "celery.exceptions"

  /// The failure stored when a task's child died while running it.
  public static func lostWorker(_ detail: String) -> TaskFailure {
    TaskFailure(type: workerLost, message: detail, module: "billiard.exceptions")
  }
}
