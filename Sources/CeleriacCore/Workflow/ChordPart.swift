/// One header task of a chord that has finished, as the worker counts it: which chord, which
/// position, how it ended, and the body to call once every part is in (Celery's
/// `on_chord_part_return`).
public struct ChordPart: Sendable, Equatable {
  /// The chord's group id (the header tasks' `group`).
  public var groupID: String
  /// The header task's id.
  public var taskID: String
  /// Its position in the header (`group_index`), `nil` when the producer sent none.
  public var groupIndex: Int?
  /// How it ended: its SUCCESS value or its FAILURE.
  public var outcome: ChordPartOutcome
  /// What the body needs once the chord completes.
  public var chord: ChordBody

  /// The part `message` contributes when it ended with `outcome`, or `nil` when the message is
  /// not a chord's header task.
  public init?(message: TaskMessage, outcome: ChordPartOutcome) {
    guard let body = message.workflow?.chord, body != .null, let groupID = message.groupID,
      !groupID.isEmpty
    else { return nil }
    self.groupID = groupID
    self.taskID = message.id
    self.groupIndex = message.groupIndex
    self.outcome = outcome
    self.chord = ChordBody(
      groupID: groupID, signature: body, parentID: message.id,
      rootID: message.rootID ?? message.id)
  }
}

/// How one header task ended.
public struct ChordPartOutcome: Codable, Sendable, Equatable {
  /// The header task's id.
  public var taskID: String
  /// `.success` or a failure state (`.failure`, `.revoked`).
  public var state: TaskState
  /// The value, for a success.
  public var value: JSONValue?
  /// The error, for a failure.
  public var failure: TaskFailure?

  /// Creates an outcome.
  public init(
    taskID: String, state: TaskState, value: JSONValue? = nil, failure: TaskFailure? = nil
  ) {
    self.taskID = taskID
    self.state = state
    self.value = value
    self.failure = failure
  }
}

/// The body of a chord and where it came from: enough to publish it (or fail it) after a crash,
/// from what the broker stored when the last part was counted.
public struct ChordBody: Codable, Sendable, Equatable {
  /// The chord's group id.
  public var groupID: String
  /// The body's signature as the header task's embed carried it.
  public var signature: JSONValue
  /// The header task whose completion completed the chord (the body's `parent_id`).
  public var parentID: String
  /// The workflow's root id.
  public var rootID: String

  /// Creates a body.
  public init(groupID: String, signature: JSONValue, parentID: String, rootID: String) {
    self.groupID = groupID
    self.signature = signature
    self.parentID = parentID
    self.rootID = rootID
  }
}

/// A chord whose last part was counted by this worker, which now holds the right to finish it
/// (Celery's `.c` claim) under `token`.
public struct CompletedChord: Sendable, Equatable {
  /// The body and its origin.
  public var body: ChordBody
  /// The claim token: finishing succeeds only while the claim still holds it.
  public var token: String

  /// Creates a completed chord.
  public init(body: ChordBody, token: String) {
    self.body = body
    self.token = token
  }
}
