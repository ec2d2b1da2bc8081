import Foundation

/// One periodic task: what to send, and when.
///
/// In a schedule file it is a JSON object:
/// `{"name": "weekly-report", "task": "tasks.report", "cron": "0 7 * * mon", "timezone": "Europe/Berlin"}`
/// with the fields `name`, `task`, `args`, `kwargs`, `queue`, exactly one of `every`
/// (seconds) and `cron`, `timezone` (cron only; default UTC), `start`, `end` (ISO 8601),
/// `missed_runs` (`once` or `skip`), `enabled`, `expires` (seconds after the due time),
/// `soft_time_limit`, `time_limit`. Any other field is an error.
public struct ScheduleEntry: Sendable, Equatable {
  /// Unique in the schedule; the due time's task id derives from it.
  public var name: String
  /// The registered task name.
  public var task: String
  /// Positional arguments.
  public var args: [JSONValue]
  /// Keyword arguments.
  public var kwargs: [String: JSONValue]
  /// The queue; `nil`: the task's default queue.
  public var queue: String?
  /// When it is due.
  public var trigger: ScheduleTrigger
  /// No due time before this; also the anchor of an interval's grid.
  public var start: Date?
  /// No due time after this.
  public var end: Date?
  /// What to do with due times missed while no beat ran.
  public var missedRuns: MissedRunPolicy
  /// Whether beat publishes it (`celeriac beat disable NAME` overrides it in the broker).
  public var enabled: Bool
  /// Revoke a published task that has not started this many seconds after its due time.
  public var expires: Double?
  /// Soft and hard time limits of the published task.
  public var timeLimit: TimeLimits

  /// Creates an entry; call ``validate()`` (a ``BeatSchedule`` does) before using it.
  public init(
    name: String, task: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:],
    queue: String? = nil, trigger: ScheduleTrigger, start: Date? = nil, end: Date? = nil,
    missedRuns: MissedRunPolicy = .default, enabled: Bool = true, expires: Double? = nil,
    timeLimit: TimeLimits = TimeLimits()
  ) {
    self.name = name
    self.task = task
    self.args = args
    self.kwargs = kwargs
    self.queue = queue
    self.trigger = trigger
    self.start = start
    self.end = end
    self.missedRuns = missedRuns
    self.enabled = enabled
    self.expires = expires
    self.timeLimit = timeLimit
  }

  /// Checks the fields that the types allow but a schedule does not.
  ///
  /// - Throws: ``BeatError`` `.invalidEntry` naming the entry and the field.
  public func validate() throws(BeatError) {
    func fail(_ field: String, _ reason: String) -> BeatError {
      BeatError(.invalidEntry, entry: name.isEmpty ? nil : name, field: field, reason)
    }
    if name.isEmpty { throw fail("name", "must not be empty") }
    if task.isEmpty { throw fail("task", "must not be empty") }
    if case .every(let seconds) = trigger, !(seconds > 0 && seconds.isFinite) {
      throw fail("every", "must be a positive number of seconds, not \(seconds)")
    }
    if let start, let end, end < start { throw fail("end", "is before start") }
    if let expires, !(expires > 0) { throw fail("expires", "must be a positive number of seconds") }
    if let queue, queue.isEmpty { throw fail("queue", "must not be empty") }
  }

  /// The anchor of an interval's grid: `start`, or the Unix epoch.
  public var anchor: Date { start ?? Date(timeIntervalSince1970: 0) }

  /// The first due time strictly after `instant`, within `start`…`end`; `nil` if none.
  public func nextDue(after instant: Date) -> Date? {
    var from = instant
    if let start, start > instant { from = start.addingTimeInterval(-0.000_5) }
    guard let due = trigger.nextDue(after: from, anchor: anchor) else { return nil }
    if let end, due > end { return nil }
    return due
  }
}
