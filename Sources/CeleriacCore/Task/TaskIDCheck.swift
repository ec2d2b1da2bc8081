/// Whether a task id from outside may name a task: 1…200 bytes of printable ASCII without
/// spaces (UUIDs, beat's ids and Celery's custom ids all fit).
public enum TaskIDCheck {
  /// The longest task id accepted from outside.
  public static let maximumLength = 200

  /// Whether `id` is a plausible task id.
  public static func isPlausible(_ id: String) -> Bool {
    !id.isEmpty && id.utf8.count <= maximumLength && id.utf8.allSatisfy { $0 > 32 && $0 < 127 }
  }
}
