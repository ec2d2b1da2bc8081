/// What the claim script found about revocations, for ``ClaimBatch/revoked``.
///
/// The script looks each task up under the first `"id": "…"` of its envelope. The answer is
/// kept only when every claimed task was looked up under the id the supervisor decodes; one
/// miss (a protocol 1 message, an envelope written in another shape) makes the whole answer
/// unknown, and the supervisor asks the backend as before.
struct ClaimedRevocations {
  private var complete = true
  private var found: Set<String> = []

  /// Notes the script's answer for the task `id`: the id it looked up (`""` or `nil`: none)
  /// and whether that id is revoked.
  mutating func note(_ id: String, lookedUp: String?, revoked: Bool) {
    guard lookedUp == id else {
      complete = false
      return
    }
    if revoked { found.insert(id) }
  }

  /// The revoked ids among the claimed tasks, or `nil` when the answer is incomplete.
  var revoked: Set<String>? { complete ? found : nil }
}
