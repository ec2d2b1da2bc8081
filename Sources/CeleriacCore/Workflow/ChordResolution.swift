import Foundation

/// What finishing a completed chord writes, Celery's way (`on_chord_part_return`):
/// - every part succeeded: the body is published with the list of the parts' values, in
///   header order, before its own arguments;
/// - a part failed: the body is stored as FAILURE `celery.exceptions.ChordError`
///   (`Dependency <id> raised ValueError('boom')`) and its `link_error` errbacks are published;
/// - the body signature cannot be sent (names no task, bad options): FAILURE with the reason,
///   under the body's `task_id` when it has one.
public struct ChordResolution: Sendable, Equatable {
  /// Messages to publish (the body, or its errbacks).
  public var messages: [TaskMessage] = []
  /// Results to store (the body's FAILURE).
  public var records: [TaskResultRecord] = []

  /// Resolves `chord` from its parts' outcomes, in header order.
  ///
  /// - Parameter defaultQueue: the queue of a task whose signature names none.
  public init(
    chord: ChordBody, parts: [ChordPartOutcome], defaultQueue: (String) -> String,
    now: Date = Date()
  ) {
    let bodyID = Self.bodyID(of: chord.signature)
    let bodyName = Self.bodyName(of: chord.signature)
    let signature: TaskSignature
    do {
      signature = try TaskSignature(chord.signature)
    } catch {
      if let bodyID {
        records.append(Self.chordError(bodyID, name: bodyName, "chord body: \(error.message)"))
      }
      return
    }
    let parent = TaskMessage(
      id: chord.parentID, name: signature.task, rootID: chord.rootID, groupID: chord.groupID)
    if let failed = parts.first(where: { $0.state != .success }) {
      let reason =
        "Dependency \(failed.taskID) raised \(Self.pythonRepr(failed.failure, state: failed.state))"
      let id = bodyID ?? UUID().lowercasedText
      records.append(Self.chordError(id, name: signature.task, reason))
      // The errbacks are called as for a failed body: the body's id before their arguments.
      if var failedBody = try? signature.message(
        parentResult: nil, parent: parent, chain: nil,
        defaultQueue: defaultQueue(signature.task), now: now)
      {
        failedBody.id = id
        messages +=
          (try? WorkflowFollowUps.afterFailure(of: failedBody, defaultQueue: defaultQueue))
          ?? []
      }
      return
    }
    do {
      messages.append(
        try signature.message(
          parentResult: .array(parts.map { $0.value ?? .null }), parent: parent, chain: nil,
          defaultQueue: defaultQueue(signature.task), now: now))
    } catch {
      records.append(
        Self.chordError(
          bodyID ?? UUID().lowercasedText, name: signature.task,
          "chord body: \(error.message)"))
    }
  }

  private static func chordError(_ id: String, name: String?, _ message: String)
    -> TaskResultRecord
  {
    TaskResultRecord(
      taskID: id, state: .failure,
      failure: TaskFailure(
        type: "ChordError", message: message, module: TaskFailure.celeryExceptionsModule),
      name: name)
  }

  private static func bodyID(of signature: JSONValue) -> String? {
    guard case .object(let fields) = signature, case .object(let options)? = fields["options"]
    else { return nil }
    return options["task_id"]?.stringValue
  }

  private static func bodyName(of signature: JSONValue) -> String? {
    guard case .object(let fields) = signature else { return nil }
    return fields["task"]?.stringValue
  }

  /// Python's `repr` of the exception, as Celery writes it in a ChordError: `ValueError('boom')`.
  static func pythonRepr(_ failure: TaskFailure?, state: TaskState) -> String {
    guard let failure else {
      return state == .revoked ? "TaskRevokedError('revoked')" : "Exception('\(state.rawValue)')"
    }
    var quoted = ""
    for character in failure.message {
      switch character {
      case "\\": quoted += "\\\\"
      case "'": quoted += "\\'"
      case "\n": quoted += "\\n"
      default: quoted.append(character)
      }
    }
    return "\(failure.type)('\(quoted)')"
  }
}
