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
