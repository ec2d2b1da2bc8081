import Foundation

/// What the result backend holds for one task: its state and, once ready, its outcome.
public struct TaskResultRecord: Codable, Sendable, Equatable {
  /// The task's id.
  public var taskID: String
  /// The task's state.
  public var state: TaskState
  /// The returned value (`SUCCESS`) or progress metadata (custom states).
  public var result: JSONValue?
  /// The error (`FAILURE`).
  public var failure: TaskFailure?
  /// When the state was stored.
  public var dateDone: Date
  /// The task name, when known.
  public var name: String?
  /// How many retries it took.
  public var retries: Int
  /// The ids of tasks this one sent (chains, groups).
  public var children: [String]
  /// The message's extra headers worth keeping with the outcome, e.g. beat's entry name and
  /// due time (`celeriac_beat_entry`, `celeriac_beat_due`); `nil` when there are none.
  public var headers: [String: JSONValue]?
  /// The task's positional arguments, when the worker that ran it kept them (Celery's
  /// `result_extended`); `nil` for arguments larger than ``maximumKeptArgumentsLength``.
  public var args: [JSONValue]?
  /// The task's keyword arguments, kept as ``args`` is.
  public var kwargs: [String: JSONValue]?
  /// The queue the task came from, when known.
  public var queue: String?
  /// The node name of the worker that ran it, when known.
  public var worker: String?
  /// The pid of the child process that ran it, when known.
  public var pid: Int32?
  /// When its child started this run, when known.
  public var dateStarted: Date?

  /// The longest arguments (as compact JSON, args and kwargs together) a worker keeps in the
  /// record: larger ones stay only in the message.
  public static let maximumKeptArgumentsLength = 16 * 1024

  /// Creates a record.
  public init(
    taskID: String, state: TaskState, result: JSONValue? = nil, failure: TaskFailure? = nil,
    dateDone: Date = Date(), name: String? = nil, retries: Int = 0, children: [String] = [],
    headers: [String: JSONValue]? = nil
  ) {
    self.taskID = taskID
    self.state = state
    self.result = result
    self.failure = failure
    self.dateDone = dateDone
    self.name = name
    self.retries = retries
    self.children = children
    self.headers = headers
  }
}

extension TaskResultRecord {
  /// Whether `message`'s arguments are short enough (``maximumKeptArgumentsLength``) to keep
  /// in its records.
  public static func keepsArguments(of message: TaskMessage) -> Bool {
    let length =
      JSONWriter.string(.array(message.args)).utf8.count
      + JSONWriter.string(.object(message.kwargs)).utf8.count
    return length <= maximumKeptArgumentsLength
  }

  /// This record with what a worker knows about the run: the message's arguments (when
  /// short enough to keep; `keepingArguments` says so when the caller already knows), its
  /// queue, the worker's node name, the child's pid and when the child started it.
  public func describing(
    _ message: TaskMessage, worker: String, pid: Int32?, started: Date? = nil,
    keepingArguments: Bool? = nil
  ) -> TaskResultRecord {
    var record = self
    if keepingArguments ?? Self.keepsArguments(of: message) {
      record.args = message.args
      record.kwargs = message.kwargs
    }
    record.queue = message.queue
    record.worker = worker
    record.pid = pid
    record.dateStarted = started
    return record
  }
}
