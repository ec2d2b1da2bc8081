/// The state of a task as stored in the result backend (Celery's names).
public struct TaskState: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
  /// Not known to the backend: queued, or never sent.
  public static let pending = TaskState(rawValue: "PENDING")
  /// A child has started running it.
  public static let started = TaskState(rawValue: "STARTED")
  /// It will run again later.
  public static let retry = TaskState(rawValue: "RETRY")
  /// It returned a value.
  public static let success = TaskState(rawValue: "SUCCESS")
  /// It raised an error, exceeded a limit, or its child was lost.
  public static let failure = TaskState(rawValue: "FAILURE")
  /// It was revoked or expired before it ran.
  public static let revoked = TaskState(rawValue: "REVOKED")
  /// The conventional custom state for progress reports.
  public static let progress = TaskState(rawValue: "PROGRESS")

  /// The state's name, e.g. `SUCCESS`; custom states use any name.
  public let rawValue: String

  /// A state with the given name.
  public init(rawValue: String) { self.rawValue = rawValue }

  /// Whether the task has finished (`SUCCESS`, `FAILURE` or `REVOKED`).
  public var isReady: Bool { self == .success || self == .failure || self == .revoked }

  /// The state's name.
  public var description: String { rawValue }

  /// Decodes the state from its name.
  public init(from decoder: any Decoder) throws {
    rawValue = try decoder.singleValueContainer().decode(String.self)
  }

  /// Encodes the state as its name.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(rawValue)
  }
}
