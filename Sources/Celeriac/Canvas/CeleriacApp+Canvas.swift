import CeleriacRedis
import Foundation

extension CeleriacApp {
  /// The most members one group or chord header may have.
  public static let maximumCanvasSize = 100_000

  /// Sends a chain: each step runs after the previous one succeeded, with its value as first
  /// argument (unless the step is immutable). Returns the handle of the **last** step.
  ///
  /// - Throws: ``CanvasError`` for an empty chain, a signature that names no task or has an
  ///   option out of range, or a canvas that refers to itself (a task id given twice), before
  ///   anything is sent; ``CeleriacError`` `.invalidConfiguration` in eager mode.
  public func chain(_ steps: [Signature]) async throws -> AsyncResult {
    guard let first = steps.first else {
      throw CanvasError(.empty, "a chain needs at least one step")
    }
    try CanvasValidation.check(
      steps.enumerated().map { ($1, "step \($0 + 1) of the chain") })
    try refuseEager("a chain")
    let ids = steps.map { $0.options.taskID ?? UUID().lowercasedText }
    var message = makeMessage(first, id: ids[0])
    let rest = zip(steps, ids).dropFirst().map { step, id in
      step.celeryJSON(id: id, defaultQueue: queue(ofTask:))
    }
    if !rest.isEmpty {
      var workflow = message.workflow ?? TaskWorkflow()
      workflow.chain = rest.reversed()
      message.workflow = workflow
    }
    for step in rest { _ = try Self.checked(step) }
    _ = try await publish(message)
    return try result(for: ids[ids.count - 1])
  }

  /// Sends a group: every member at once, in one broker round trip, as Celery's `group`
  /// (`group` header and `group_index` set). The group is saved with its members, so that
  /// ``restoreGroup(_:)`` finds it from its id (on Redis where Celery's
  /// `GroupResult.restore(id)` finds it too).
  ///
  /// - Throws: ``CanvasError`` for an empty group or a member that cannot be sent (see
  ///   ``chain(_:)``), before anything is sent.
  public func group(_ members: [Signature]) async throws -> GroupResult {
    guard !members.isEmpty else {
      throw CanvasError(.empty, "a group needs at least one task")
    }
    try CanvasValidation.check(
      members.enumerated().map { ($1, "member \($0 + 1) of the group") })
    try refuseEager("a group")
    let groupID = UUID().lowercasedText
    let messages = members.enumerated().map { index, member in
      var message = makeMessage(member, id: member.options.taskID ?? UUID().lowercasedText)
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
  /// - Throws: ``CanvasError`` for an empty header or a signature that cannot be sent (see
  ///   ``chain(_:)``; the body may not be one of the header's tasks), ``CeleriacError``
  ///   `.invalidConfiguration` when the broker does not count chord parts where the backend
  ///   stores results; nothing is sent then.
  public func chord(_ header: [Signature], body: Signature) async throws -> AsyncResult {
    guard !header.isEmpty else {
      throw CanvasError(.emptyChordHeader, "a chord needs at least one header task")
    }
    try CanvasValidation.check(
      header.enumerated().map { ($1, "header task \($0 + 1) of the chord") }
        + [(body, "the chord's body")])
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
    let groupID = UUID().lowercasedText
    let bodyID = body.options.taskID ?? UUID().lowercasedText
    let bodyJSON = try Self.checked(
      body.celeryJSON(id: bodyID, groupID: groupID, defaultQueue: queue(ofTask:)))
    let messages = header.enumerated().map { index, part in
      var message = makeMessage(part, id: part.options.taskID ?? UUID().lowercasedText)
      message.groupID = groupID
      message.groupIndex = index
      var workflow = message.workflow ?? TaskWorkflow()
      workflow.chord = bodyJSON
      message.workflow = workflow
      return message
    }
    // The size is known before the first part can finish, as Celery's producer does.
    try counter.prepareChord(
      groupID: groupID, size: messages.count, expiresIn: configuration.resultExpiry)
    _ = try await sendBatch(messages)
    return try result(for: bodyID)
  }

  /// The message of `signature` with task id `id`; its links become the message's
  /// `callbacks` / `errbacks`.
  private func makeMessage(_ signature: Signature, id: String) -> TaskMessage {
    var options = signature.options
    options.taskID = id
    var message = makeMessage(
      signature.name, args: signature.args, kwargs: signature.kwargs, options: options)
    let callbacks = signature.links.map { $0.celeryJSON(defaultQueue: queue(ofTask:)) }
    let errbacks = signature.errorLinks.map { $0.celeryJSON(defaultQueue: queue(ofTask:)) }
    if !callbacks.isEmpty || !errbacks.isEmpty {
      message.workflow = TaskWorkflow(
        callbacks: callbacks.isEmpty ? nil : callbacks, errbacks: errbacks.isEmpty ? nil : errbacks)
    }
    return message
  }

  /// The queue of a task that names none: its registered default, else Celery's.
  private func queue(ofTask name: String) -> String {
    registry[name]?.defaults.queue ?? TaskOptions.defaultQueue
  }

  private func refuseEager(_ what: String) throws {
    if configuration.alwaysEager {
      throw CeleriacError(.invalidConfiguration, "\(what) cannot be run in eager mode")
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
