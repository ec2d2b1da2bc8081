import Foundation

extension CeleriacApp {
  /// The handle of a group sent earlier (by ``group(_:)`` here or elsewhere, or by Python's
  /// `group(...).apply_async()` followed by `GroupResult.save()`), found from its id alone:
  /// Celery's `GroupResult.restore(id)`. `nil` when the backend holds no such group (never
  /// saved, or expired).
  ///
  /// - Throws: ``CeleriacError`` `.invalidConfiguration` when the result backend does not
  ///   store groups, `.malformedMessage` when what is stored under the id is not a group.
  public func restoreGroup(_ groupID: String) throws -> GroupResult? {
    guard !groupID.isEmpty, groupID.utf8.count <= TaskMessageLimits.maximumNameLength else {
      throw CeleriacError(.invalidArguments, "not a group id: '\(groupID.prefix(40))'")
    }
    guard let backend = try connection().backend as? any GroupStoring else {
      throw CeleriacError(.invalidConfiguration, "this result backend does not store groups")
    }
    guard let members = try backend.restoreGroup(groupID) else { return nil }
    return GroupResult(id: groupID, results: try members.map { try result(for: $0) })
  }
}
