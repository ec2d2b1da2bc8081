import Celeriac

/// What the task page's script polls for: `/api/tasks/<id>` as JSON.
struct TaskStatus: Codable, Sendable {
  /// `PENDING`, `STARTED`, `PROGRESS`, `SUCCESS`, `FAILURE`, …
  var state: String
  /// Whether the task is done (successfully or not).
  var ready: Bool
  /// The progress the task reported (`PROGRESS`), or `null`.
  var progress: JSONValue?
  /// The task's value (`SUCCESS`), or `null`.
  var result: JSONValue?
  /// `Type: message` of a failure, or `null`.
  var error: String?

  /// The status of the stored `record` (`nil`: not started yet).
  init(record: TaskResultRecord?) {
    let state = record?.state ?? .pending
    self.state = state.rawValue
    self.ready = state.isReady
    self.progress = state.isReady ? nil : record?.result
    self.result = state == .success ? record?.result : nil
    if let failure = record?.failure {
      error = "\(failure.type): \(failure.message)"
    } else if state == .revoked {
      error = "the task was revoked"
    }
  }
}
