/// What a finished task's workflow publishes next, Celery's way:
/// - success: each `link` callback with the result prepended, then the next chain step with
///   the result prepended and the rest of the chain in its own embed;
/// - failure: each `link_error` errback with the failed task's id prepended (Celery's call of
///   an errback that takes one argument).
public enum WorkflowFollowUps {
  /// The messages to publish after `message` returned `result`.
  ///
  /// - Parameter defaultQueue: the queue of a task whose signature names none.
  /// - Throws: ``CeleriacError`` `.malformedMessage` naming the step that cannot be built.
  public static func afterSuccess(
    of message: TaskMessage, result: JSONValue, defaultQueue: (String) -> String
  ) throws(CeleriacError) -> [TaskMessage] {
    guard let workflow = message.workflow else { return [] }
    var next: [TaskMessage] = []
    for callback in workflow.callbacks ?? [] {
      let signature = try TaskSignature(callback)
      next.append(
        try signature.message(
          parentResult: result, parent: message, chain: nil,
          defaultQueue: defaultQueue(signature.task)))
    }
    if var chain = workflow.chain, let step = chain.popLast() {
      let signature = try TaskSignature(step)
      next.append(
        try signature.message(
          parentResult: result, parent: message, chain: chain,
          defaultQueue: defaultQueue(signature.task)))
    }
    return next
  }

  /// The messages to publish after `message` failed for good (no retry left).
  public static func afterFailure(of message: TaskMessage, defaultQueue: (String) -> String)
    throws(CeleriacError) -> [TaskMessage]
  {
    guard let errbacks = message.workflow?.errbacks else { return [] }
    var next: [TaskMessage] = []
    for errback in errbacks {
      let signature = try TaskSignature(errback)
      next.append(
        try signature.message(
          parentResult: .string(message.id), parent: message, chain: nil,
          defaultQueue: defaultQueue(signature.task)))
    }
    return next
  }
}
