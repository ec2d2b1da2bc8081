import Foundation

/// What a task listing asks for. Every field is checked by ``validationProblem`` before a
/// backend reads anything.
public struct TaskQuery: Sendable, Equatable {
  /// How many records one page holds by default.
  public static let defaultLimit = 50
  /// The most records one page holds.
  public static let maximumLimit = 500
  /// The longest name or queue filter accepted.
  public static let maximumFilterLength = 200

  /// Only records in this state.
  public var state: TaskState?
  /// Only records whose task name contains this text.
  public var name: String?
  /// Only records of tasks from this queue.
  public var queue: String?
  /// Only records stored at or after this time.
  public var since: Date?
  /// Only records stored before this time.
  public var until: Date?
  /// How many records at most (1…``maximumLimit``).
  public var limit: Int
  /// Where the page starts: the ``TaskPage/nextCursor`` of the page before.
  public var cursor: TaskCursor?

  /// Creates a query.
  public init(
    state: TaskState? = nil, name: String? = nil, queue: String? = nil, since: Date? = nil,
    until: Date? = nil, limit: Int = TaskQuery.defaultLimit, cursor: TaskCursor? = nil
  ) {
    self.state = state
    self.name = name
    self.queue = queue
    self.since = since
    self.until = until
    self.limit = limit
    self.cursor = cursor
  }

  /// Why the query cannot be run, or `nil` when it can.
  public var validationProblem: String? {
    guard (1...Self.maximumLimit).contains(limit) else {
      return "limit must be 1…\(Self.maximumLimit)"
    }
    for (field, value) in [("name", name), ("queue", queue)] {
      if let value, value.utf8.count > Self.maximumFilterLength || value.utf8.contains(0) {
        return "\(field) must be at most \(Self.maximumFilterLength) bytes"
      }
    }
    if let state, state.rawValue.isEmpty || state.rawValue.utf8.count > 32 {
      return "state must be a task state such as SUCCESS"
    }
    for (field, date) in [("since", since), ("until", until)] {
      if let date,
        !date.timeIntervalSince1970.isFinite || date < ISO8601.earliest
          || date > ISO8601.latest
      {
        return "\(field) is out of range"
      }
    }
    return nil
  }

  /// Whether `record` passes the filters (not the cursor).
  public func matches(_ record: TaskResultRecord) -> Bool {
    if let state, record.state != state { return false }
    if let name, !name.isEmpty, !(record.name ?? "").contains(name) { return false }
    if let queue, !queue.isEmpty, record.queue != queue { return false }
    if let since, record.dateDone < since { return false }
    if let until, record.dateDone >= until { return false }
    return true
  }
}
