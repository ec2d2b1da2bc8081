import Foundation

/// A task call not sent yet: the name, its arguments and how to send it; the parts of a
/// chain, a group or a chord (Celery's `signature`, `add.s(2, 2)`).
///
/// In a chain, each step but the first receives the previous step's value as its first
/// argument unless it is ``immutable`` (Celery's `.si()`); a chord's body receives the list of
/// the header's values.
public struct Signature: Sendable {
  /// The registered task name, e.g. `tasks.add`.
  public var name: String
  /// Positional arguments.
  public var args: [JSONValue]
  /// Keyword arguments.
  public var kwargs: [String: JSONValue]
  /// How to send it (queue, countdown, priority, task id, …).
  public var options: SendOptions
  /// With `true`, no previous result is prepended to ``args``.
  public var immutable: Bool
  /// Called with this task's value when it succeeds (Celery's `link`).
  public var links: [Signature]
  /// Called with this task's id when it fails for good (Celery's `link_error`).
  public var errorLinks: [Signature]

  /// Creates a signature.
  public init(
    _ name: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:],
    options: SendOptions = SendOptions(), immutable: Bool = false, links: [Signature] = [],
    errorLinks: [Signature] = []
  ) {
    self.name = name
    self.args = args
    self.kwargs = kwargs
    self.options = options
    self.immutable = immutable
    self.links = links
    self.errorLinks = errorLinks
  }

  /// The signature as Celery writes it in a message's embed, with the task id `id` (and the
  /// group of a chord body); links get their own ids. `defaultQueue` gives the queue of a task
  /// name whose signature names none.
  func celeryJSON(id: String, groupID: String? = nil, defaultQueue: (String) -> String)
    -> JSONValue
  {
    var options: [String: JSONValue] = ["task_id": .string(id)]
    options["queue"] = .string(self.options.queue ?? defaultQueue(name))
    if !links.isEmpty {
      options["link"] = .array(links.map { $0.celeryJSON(defaultQueue: defaultQueue) })
    }
    if !errorLinks.isEmpty {
      options["link_error"] = .array(errorLinks.map { $0.celeryJSON(defaultQueue: defaultQueue) })
    }
    if let groupID { options["group_id"] = .string(groupID) }
    if let priority = self.options.priority { options["priority"] = .int(Int64(priority)) }
    if let countdown = self.options.countdown { options["countdown"] = .double(countdown.seconds) }
    if let limits = self.options.timeLimit {
      if let soft = limits.soft { options["soft_time_limit"] = .double(soft) }
      if let hard = limits.hard { options["time_limit"] = .double(hard) }
    }
    if self.options.options?.ignoreResult == true { options["ignore_result"] = .bool(true) }
    return .object([
      "task": .string(name), "args": .array(args), "kwargs": .object(kwargs),
      "options": .object(options), "subtask_type": .null, "immutable": .bool(immutable),
    ])
  }

  /// The signature as Celery writes it, with its own task id or a new one.
  func celeryJSON(defaultQueue: (String) -> String) -> JSONValue {
    celeryJSON(id: options.taskID ?? UUID().lowercasedText, defaultQueue: defaultQueue)
  }
}
