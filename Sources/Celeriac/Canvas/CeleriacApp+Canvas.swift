import CeleriacRedis
import Foundation

extension CeleriacApp {
  /// The most members one group or chord header may have.
  public static let maximumCanvasSize = 100_000

  /// Sends a chain: each step runs after the previous one succeeded, with its value as first
  /// argument (unless the step is immutable). Returns the handle of the **last** step.
  ///
  /// - Throws: ``CeleriacError`` `.invalidArguments` for an empty chain or a step that cannot
  ///   be sent, before anything is sent.
  public func chain(_ steps: [Signature]) async throws -> AsyncResult {
    guard let first = steps.first else {
      throw CeleriacError(.invalidArguments, "a chain needs at least one step")
    }
    try Self.checkSize(steps.count, "chain")
    for step in steps { try step.validate() }
    try refuseEager("a chain")
    let ids = steps.map { $0.options.taskID ?? UUID().uuidString.lowercased() }
    var message = makeMessage(first, id: ids[0])
    let rest = zip(steps, ids).dropFirst().map { step, id in
      step.celeryJSON(id: id, defaultQueue: queue(of: step))
    }
    if !rest.isEmpty { message.workflow = TaskWorkflow(chain: rest.reversed()) }
    for step in rest { _ = try Self.checked(step) }
    _ = try await publish(message)
    return try result(for: ids[ids.count - 1])
  }

  /// Sends a group: every member at once, in one broker round trip, as Celery's `group`
  /// (`group` header and `group_index` set). The group is saved with its members, so that
  /// ``restoreGroup(_:)`` finds it from its id (on Redis where Celery's
  /// `GroupResult.restore(id)` finds it too).
  ///
  /// - Throws: ``CeleriacError`` `.invalidArguments` for an empty group or a member that
  ///   cannot be sent, before anything is sent.
  public func group(_ members: [Signature]) async throws -> GroupResult {
    guard !members.isEmpty else {
      throw CeleriacError(.invalidArguments, "a group needs at least one task")
    }
    try Self.checkSize(members.count, "group")
    for member in members { try member.validate() }
    try refuseEager("a group")
    let groupID = UUID().uuidString.lowercased()
    let messages = members.enumerated().map { index, member in
      var message = makeMessage(member, id: member.options.taskID ?? UUID().uuidString.lowercased())
      message.groupID = groupID
      message.groupIndex = index
      return message
    }
    let connection = try connection()
    if let backend = connection.backend as? any GroupStoring {
      try backend.saveGroup(
        groupID, members: messages.map(\.id), expiresIn: configuration.resultExpiry)
    }
    let handles = try await sendBatch(messages)
    return GroupResult(id: groupID, results: handles)
  }

  /// Sends a chord: the header tasks at once, and the body once all of them succeeded, with
  /// the list of their values (in header order) as first argument. A failing header task
  /// fails the body with Celery's `ChordError` and calls the body's errbacks. Returns the
  /// body's handle.
  ///
  /// - Throws: ``CeleriacError`` `.invalidArguments` for an empty header or a signature that
  ///   cannot be sent, `.invalidConfiguration` when the broker does not count chord parts
  ///   where the backend stores results; nothing is sent then.
  public func chord(_ header: [Signature], body: Signature) async throws -> AsyncResult {
    guard !header.isEmpty else {
      throw CeleriacError(.invalidArguments, "a chord needs at least one header task")
    }
    try Self.checkSize(header.count, "chord header")
    for part in header { try part.validate() }
    try body.validate()
    try refuseEager("a chord")
    let connection = try connection()
    guard let counter = connection.broker as? any ChordCounting,
      counter.sharesStorage(with: connection.backend)
    else {
      throw CeleriacError(
        .invalidConfiguration,
        "chords need a broker that counts their parts where results are stored (Redis as broker and backend on one server)"
      )
    }
    let groupID = UUID().uuidString.lowercased()
    let bodyID = body.options.taskID ?? UUID().uuidString.lowercased()
    let bodyJSON = try Self.checked(
      body.celeryJSON(id: bodyID, groupID: groupID, defaultQueue: queue(of: body)))
    let messages = header.enumerated().map { index, part in
      var message = makeMessage(part, id: part.options.taskID ?? UUID().uuidString.lowercased())
      message.groupID = groupID
      message.groupIndex = index
      message.workflow = TaskWorkflow(chord: bodyJSON)
      return message
    }
    // The size is known before the first part can finish, as Celery's producer does.
    try counter.prepareChord(
      groupID: groupID, size: messages.count, expiresIn: configuration.resultExpiry)
    _ = try await sendBatch(messages)
    return try result(for: bodyID)
  }

  private func makeMessage(_ signature: Signature, id: String) -> TaskMessage {
    var options = signature.options
    options.taskID = id
    return makeMessage(
      signature.name, args: signature.args, kwargs: signature.kwargs, options: options)
  }

  private func queue(of signature: Signature) -> String {
    signature.options.queue ?? registry[signature.name]?.defaults.queue ?? TaskOptions.defaultQueue
  }

  private func refuseEager(_ what: String) throws {
    if configuration.alwaysEager {
      throw CeleriacError(.invalidConfiguration, "\(what) cannot be run in eager mode")
    }
  }

  private static func checkSize(_ count: Int, _ what: String) throws {
    guard count <= maximumCanvasSize else {
      throw CeleriacError(
        .invalidArguments, "a \(what) may have at most \(maximumCanvasSize) tasks, not \(count)")
    }
  }

  /// The signature JSON, after checking a worker can read it back.
  private static func checked(_ json: JSONValue) throws -> JSONValue {
    do {
      _ = try TaskSignature(json)
    } catch {
      throw CeleriacError(.invalidArguments, error.message)
    }
    return json
  }
}
