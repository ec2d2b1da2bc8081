/// Celery's task priorities as its Redis transport orders them: 0 to 9, where a **lower**
/// number is taken first (kombu's `BRPOP celery celery\x06\x163 celery\x06\x166
/// celery\x06\x169`), and tasks of one priority run in the order they were sent.
///
/// The Redis broker keeps kombu's four lists (steps 0, 3, 6 and 9: priority 4 shares the list
/// of 3), so that a Python producer's priorities and Celeriac's agree; the SQLite broker
/// orders by the exact number.
public enum TaskPriority {
  /// The priority of a task sent without one (Celery's `default_priority`).
  public static let defaultValue = 0
  /// The priorities a producer may send.
  public static let range = 0...9
  /// kombu's `priority_steps`: the lists a Redis queue is split into.
  public static let redisSteps = [0, 3, 6, 9]

  /// A received priority brought into ``range`` the way kombu does (`max(min(p, 9), 0)`), so a
  /// message from another producer never fails for it; `nil` stays the default.
  public static func clamped(_ value: Int64?) -> Int {
    guard let value else { return defaultValue }
    return Int(min(max(value, Int64(range.lowerBound)), Int64(range.upperBound)))
  }

  /// The kombu step whose list holds a message of `priority` (`steps[bisect(steps, p) - 1]`).
  public static func redisStep(of priority: Int) -> Int {
    redisSteps.last { $0 <= priority } ?? defaultValue
  }

  /// Why `value` cannot be sent as a priority, or `nil` when it can.
  public static func problem(with value: Int) -> String? {
    range.contains(value)
      ? nil
      : "priority must be from \(range.lowerBound) to \(range.upperBound) (lower runs first), not \(value)"
  }
}
