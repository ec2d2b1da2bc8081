/// How many tasks this supervisor started and finished since it began: the totals of its exit
/// line, its status record, Celery's `stats` and the events' `processed`.
struct TaskTotals {
  /// Tasks that ended in SUCCESS.
  private(set) var succeeded = 0
  /// Tasks that ended in FAILURE (in a child, or refused before they ran).
  private(set) var failed = 0
  /// Tasks handed to a child, by name (registered names only): Celery's `stats.total`.
  private(set) var startedByName: [String: Int] = [:]

  /// Tasks finished either way.
  var processed: Int { succeeded + failed }

  /// A task named `name` went to a child.
  mutating func started(_ name: String) { startedByName[name, default: 0] += 1 }

  /// A task succeeded.
  mutating func succeededOne() { succeeded += 1 }

  /// A task failed.
  mutating func failedOne() { failed += 1 }
}
