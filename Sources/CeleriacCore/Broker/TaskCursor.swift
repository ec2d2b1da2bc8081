/// A position in a listing: the time and id of the last record of the page before (records are
/// ordered by time, then id, both descending).
public struct TaskCursor: Sendable, Equatable {
  /// The last record's `dateDone`, as Unix seconds.
  public var time: Double
  /// The last record's task id.
  public var taskID: String

  /// Creates a cursor.
  public init(time: Double, taskID: String) {
    self.time = time
    self.taskID = taskID
  }

  /// Reads a cursor written by ``description`` (`<seconds>_<id>`); `nil` for anything else.
  public init?(_ text: String) {
    guard text.utf8.count <= 200, let separator = text.firstIndex(of: "_") else { return nil }
    guard let time = Double(text[..<separator]), time.isFinite else { return nil }
    let id = String(text[text.index(after: separator)...])
    guard !id.isEmpty, TaskIDCheck.isPlausible(id) else { return nil }
    self.init(time: time, taskID: id)
  }

  /// The cursor as text for a URL: `<seconds>_<id>`.
  public var description: String { "\(time)_\(taskID)" }

  /// Whether a record at (`time`, `id`) comes after this cursor in a listing.
  public func precedes(time: Double, id: String) -> Bool {
    time < self.time || (time == self.time && id < taskID)
  }
}
