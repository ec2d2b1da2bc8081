/// A result backend that keeps which tasks make up a group, so that a group's handle can be
/// found again from its id alone (Celery's `GroupResult.save()` / `GroupResult.restore(id)`).
///
/// Redis keeps Celery's own form (`celery-taskset-meta-<id>`, the group's result tuple), so
/// Python's `GroupResult.restore` and Celeriac's read each other's groups; SQLite keeps the
/// member ids in a `groups` table beside the results.
public protocol GroupStoring: ResultBackend {
  /// Stores the member task ids of group `groupID`, in order, for `expiresIn` (`nil`: for
  /// ever).
  func saveGroup(_ groupID: String, members: [String], expiresIn: Duration?) throws

  /// The member task ids of group `groupID` in order, or `nil` when none is stored (or it
  /// expired).
  ///
  /// - Throws: ``CeleriacError`` `.malformedMessage` when what is stored is not a group (at
  ///   most ``StoredGroup/maximumMembers`` members, each id a bounded string).
  func restoreGroup(_ groupID: String) throws -> [String]?
}

/// How a group is stored: Celery's result tuple of a `GroupResult`,
/// `[[group id, parent], [[[member id, parent], children], …]]`.
public enum StoredGroup {
  /// The most members a stored group may have.
  public static let maximumMembers = 100_000

  /// Celery's tuple for a group without parents.
  public static func celeryTuple(groupID: String, members: [String]) -> JSONValue {
    .array([
      .array([.string(groupID), .null]),
      .array(members.map { .array([.array([.string($0), .null]), .null]) }),
    ])
  }

  /// The members' ids read from Celery's tuple, or `nil` when `value` is not one (or has
  /// more than ``maximumMembers`` members, or an id that is empty or too long).
  public static func members(ofCeleryTuple value: JSONValue) -> [String]? {
    guard case .array(let parts) = value, parts.count == 2, case .array(let members) = parts[1],
      members.count <= maximumMembers
    else { return nil }
    var ids: [String] = []
    ids.reserveCapacity(members.count)
    for member in members {
      guard case .array(let tuple) = member, case .array(let head)? = tuple.first,
        let id = head.first?.stringValue, !id.isEmpty,
        id.utf8.count <= TaskMessageLimits.maximumNameLength
      else { return nil }
      ids.append(id)
    }
    return ids
  }
}
