/// A handle on a group of tasks sent together (``CeleriacApp/group(_:)``): the members'
/// handles in the order given, their values in that order, and each member's state.
public struct GroupResult: Sendable {
  /// The group id (each member's `group` header; Celery's `GroupResult.id`).
  public let id: String
  /// The members' handles, in order.
  public let results: [AsyncResult]

  /// Creates a handle.
  public init(id: String, results: [AsyncResult]) {
    self.id = id
    self.results = results
  }

  /// Waits for every member and returns their values in order; throws the first failure (a
  /// ``TaskFailure``) or a timeout, waiting at most `timeout` in all.
  public func get(timeout: Duration = .seconds(30)) async throws -> [JSONValue] {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var values: [JSONValue] = []
    values.reserveCapacity(results.count)
    for result in results {
      let left = max(deadline - clock.now, .milliseconds(1))
      values.append(try await result.get(timeout: left))
    }
    return values
  }

  /// Each member's state, in order.
  public func states() async throws -> [TaskState] {
    var states: [TaskState] = []
    for result in results { states.append(try await result.state()) }
    return states
  }

  /// Whether every member has finished (succeeded, failed or was revoked).
  public func isReady() async throws -> Bool {
    try await states().allSatisfy(\.isReady)
  }
}
