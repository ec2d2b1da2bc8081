import Foundation

/// One task signature as Celery serialises it in a message's embed:
/// `{"task", "args", "kwargs", "options", "subtask_type", "immutable"}`.
///
/// Only plain task signatures are read (`subtask_type` null); a group, chain or chord used as a
/// signature is refused with a reason. The options Celeriac honours are `task_id`, `queue`
/// (or `routing_key`), `countdown`, `expires`, `link`, `link_error`, `time_limit`,
/// `soft_time_limit`, `ignore_result` and `priority` (clamped into 0…9 as kombu does); others are ignored as a Celery worker's router would
/// ignore unknown ones.
public struct TaskSignature: Sendable, Equatable {
  /// The task name.
  public var task: String
  /// Positional arguments given when the signature was made.
  public var args: [JSONValue]
  /// Keyword arguments.
  public var kwargs: [String: JSONValue]
  /// Options (`task_id`, `queue`, …) as sent.
  public var options: [String: JSONValue]
  /// With `true` the parent's result is not prepended to ``args`` (`.si()`).
  public var immutable: Bool

  /// Reads a signature; throws ``CeleriacError`` `.malformedMessage` naming what is wrong.
  public init(_ value: JSONValue) throws(CeleriacError) {
    guard case .object(let fields) = value else {
      throw CeleriacError(.malformedMessage, "a signature is not an object")
    }
    guard let task = fields["task"]?.stringValue, !task.isEmpty else {
      throw CeleriacError(.malformedMessage, "a signature names no task")
    }
    if let type = fields["subtask_type"], type != .null {
      throw CeleriacError(
        .malformedMessage,
        "a \(type.stringValue ?? "nested") signature (\(task)) is not supported as a step yet")
    }
    switch fields["args"] {
    case nil, .null?: args = []
    case .array(let values)?: args = values
    default: throw CeleriacError(.malformedMessage, "signature \(task): args is not a list")
    }
    switch fields["kwargs"] {
    case nil, .null?: kwargs = [:]
    case .object(let values)?: kwargs = values
    default: throw CeleriacError(.malformedMessage, "signature \(task): kwargs is not an object")
    }
    switch fields["options"] {
    case nil, .null?: options = [:]
    case .object(let values)?: options = values
    default: throw CeleriacError(.malformedMessage, "signature \(task): options is not an object")
    }
    if case .bool(let flag)? = fields["immutable"] { immutable = flag } else { immutable = false }
    self.task = task
  }

  /// The message that calls this signature, Celery's way: `parentResult` (when given and the
  /// signature is not immutable) goes before the signature's own arguments.
  ///
  /// - Parameters:
  ///   - parentResult: the value prepended to the arguments (the previous step's result, or
  ///     the failed task's id for an errback).
  ///   - parent: the message whose outcome calls this one (for `parent_id` and `root_id`).
  ///   - chain: the chain steps still to come after this one.
  ///   - defaultQueue: the queue for a signature that names none.
  /// - Throws: ``CeleriacError`` `.malformedMessage` when an option is out of range.
  public func message(
    parentResult: JSONValue?, parent: TaskMessage, chain: [JSONValue]?, defaultQueue: String,
    now: Date = Date()
  ) throws(CeleriacError) -> TaskMessage {
    let id = options["task_id"]?.stringValue ?? UUID().lowercasedText
    let queue =
      options["queue"]?.stringValue ?? options["routing_key"]?.stringValue ?? defaultQueue
    var message = TaskMessage(
      id: id, name: task, args: (immutable || parentResult == nil ? [] : [parentResult!]) + args,
      kwargs: kwargs, queue: queue, rootID: parent.rootID ?? parent.id, parentID: parent.id)
    if let countdown = try seconds("countdown", range: .delay) {
      message.eta = now.addingTimeInterval(countdown)
    }
    if let expires = try seconds("expires", range: .delay) {
      message.expires = now.addingTimeInterval(expires)
    }
    message.timeLimit = TimeLimits(
      soft: try seconds("soft_time_limit", range: .positive),
      hard: try seconds("time_limit", range: .positive))
    if case .bool(let flag)? = options["ignore_result"] { message.options.ignoreResult = flag }
    if let priority = options["priority"]?.intValue {
      message.priority = TaskPriority.clamped(priority)
    }
    let workflow = TaskWorkflow(
      callbacks: Self.list(options["link"]), errbacks: Self.list(options["link_error"]),
      chain: chain.flatMap { $0.isEmpty ? nil : $0 })
    message.workflow = workflow.isEmpty ? nil : workflow
    try message.validate()
    return message
  }

  private func seconds(_ key: String, range: SecondsValue) throws(CeleriacError) -> Double? {
    switch options[key] {
    case nil, .null?: return nil
    case let value? where value.doubleValue != nil:
      let seconds = value.doubleValue!
      if let problem = range.problem(with: seconds, name: "signature \(task): \(key)") {
        throw CeleriacError(.malformedMessage, problem)
      }
      return seconds
    case let other?:
      throw CeleriacError(
        .malformedMessage, "signature \(task): \(key) is not a number: \(other.compactDescription)")
    }
  }

  /// `link` / `link_error` may hold one signature or a list of them.
  private static func list(_ value: JSONValue?) -> [JSONValue]? {
    switch value {
    case nil, .null?: nil
    case .array(let values)?: values.isEmpty ? nil : values
    case let single?: [single]
    }
  }
}
