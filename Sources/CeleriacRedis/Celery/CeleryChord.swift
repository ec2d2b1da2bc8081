import CeleriacCore
import Foundation

/// Celery's Redis keys for counting a chord's parts (`RedisBackend.on_chord_part_return`), in
/// the result backend's database, and how a part is written there.
///
/// - `celery-taskset-meta-<group>.j`: sorted set of parts `[1, id, state, result]`, scored by
///   `group_index` (`result_chord_ordered`, Celery's default);
/// - `.s`: the header size (set by the producer before the last header task is sent);
/// - `.t`: extra parts added later (`add_to_chord`); `.d`: the parts seen (`id:index`), so a
///   redelivered part is counted once; `.c`: the claim of whoever finishes the chord, then
///   `done`.
///
/// Celeriac adds `.celeriac_body` (the body and its origin, kept from the moment the chord is
/// claimed until it is finished) and the sorted set `celeriac.chords.completed` of claimed
/// chords (score = claim time), from which another supervisor takes over an abandoned one.
public enum CeleryChord {
  /// The prefix of a group's keys (`GroupResult.save()` stores the group itself there).
  public static let groupKeyPrefix = "celery-taskset-meta-"
  /// Celeriac's set of claimed, not yet finished chords.
  public static let completedKey = "celeriac.chords.completed"
  /// What `.c` holds once a chord is finished (Celery's marker).
  public static let doneMarker = "done"
  /// How long the `done` marker stays, in seconds (Celery: at least 300).
  public static let doneExpirySeconds = 300

  /// `celery-taskset-meta-<group>`.
  public static func groupKey(_ groupID: String) -> String { groupKeyPrefix + groupID }

  /// `celery-taskset-meta-<group><suffix>`.
  public static func key(_ groupID: String, _ suffix: String) -> String {
    groupKey(groupID) + suffix
  }

  /// A part as Celery's `encode([1, tid, state, result])` writes it.
  public static func encodePart(_ outcome: ChordPartOutcome) -> String {
    let value: JSONValue =
      outcome.state == .success
      ? (outcome.value ?? .null)
      : CeleryResult.exceptionInfo(
        outcome.failure
          ?? TaskFailure(
            type: "TaskRevokedError", message: "revoked",
            module: TaskFailure.celeryExceptionsModule))
    return JSONWriter.string(
      .array([.int(1), .string(outcome.taskID), .string(outcome.state.rawValue), value]))
  }

  /// Reads a part written by Celery or Celeriac; `nil` when it is not `[1, id, state, result]`.
  public static func decodePart(_ raw: String) -> ChordPartOutcome? {
    guard case .array(let fields)? = try? JSONCoding.decode(JSONValue.self, from: raw),
      fields.count == 4, let taskID = fields[1].stringValue,
      let stateName = fields[2].stringValue
    else { return nil }
    let state = TaskState(rawValue: stateName)
    guard state == .success else {
      var failure = TaskFailure(type: "Exception", message: stateName)
      if case .object(let info) = fields[3], let type = info["exc_type"]?.stringValue {
        let message: String
        switch info["exc_message"] {
        case .array(let parts)?:
          message = parts.map { $0.stringValue ?? $0.compactDescription }.joined(separator: ", ")
        case .string(let text)?: message = text
        default: message = ""
        }
        failure = TaskFailure(
          type: type, message: message, module: info["exc_module"]?.stringValue ?? "builtins")
      }
      return ChordPartOutcome(taskID: taskID, state: state, failure: failure)
    }
    return ChordPartOutcome(taskID: taskID, state: .success, value: fields[3])
  }

  /// The body as kept in `.celeriac_body`.
  static func encodeBody(_ body: ChordBody) -> String {
    JSONWriter.string(
      .object([
        "group_id": .string(body.groupID), "signature": body.signature,
        "parent_id": .string(body.parentID), "root_id": .string(body.rootID),
      ]))
  }

  /// Reads `.celeriac_body`.
  static func decodeBody(_ raw: String) -> ChordBody? {
    guard case .object(let fields)? = try? JSONCoding.decode(JSONValue.self, from: raw),
      let groupID = fields["group_id"]?.stringValue, let signature = fields["signature"],
      let parentID = fields["parent_id"]?.stringValue, let rootID = fields["root_id"]?.stringValue
    else { return nil }
    return ChordBody(groupID: groupID, signature: signature, parentID: parentID, rootID: rootID)
  }
}
