/// Celery's built-in `celery.chunks(task, it, n)` (celery/app/builtins.py), served by the
/// supervisor without a child: the items of `it` (each a list of arguments) are cut into
/// chunks of `n`, and each chunk becomes one `celery.starmap` message of a new group, as
/// Python's `chunks.apply_chunks` sends them; the task's own value is that group's result
/// tuple (`[[group id, null], [[[member id, null], null], …]]`), which Python's
/// `GroupResult` reads. (Python's `add.chunks(…)` on the client side sends such a group
/// directly; `celery.chunks` arrives when it is sent by name.)
public enum CeleryChunks {
  /// `celery.chunks`.
  public static let name = "celery.chunks"
  /// The most items one call may cut into chunks.
  public static let maximumItems = 100_000

  /// The messages to publish and the task's value.
  public struct Expansion: Sendable, Equatable {
    /// One `celery.starmap` message per chunk, in order (`group` and `group_index` set).
    public var members: [TaskMessage]
    /// The group's result tuple.
    public var value: JSONValue
  }

  /// Cuts the call `message` into its chunks, in group `groupID`.
  ///
  /// - Throws: a ``TaskFailure`` `TypeError` naming what is wrong with the arguments (no
  ///   `task`, `it` or `n`; a signature that cannot be read or names a built-in task; `it`
  ///   not a list of argument lists or longer than ``maximumItems``; `n` not a positive
  ///   integer).
  public static func expand(_ message: TaskMessage, groupID: String) throws(TaskFailure)
    -> Expansion
  {
    let (task, items, size) = try arguments(message)
    var members: [TaskMessage] = []
    var start = 0
    while start < items.count {
      let end = min(start + size, items.count)
      members.append(
        TaskMessage(
          name: CeleryBuiltinTasks.starmap,
          kwargs: ["task": task, "it": .array(Array(items[start..<end]))], queue: message.queue,
          rootID: message.rootID ?? message.id, parentID: message.id, groupID: groupID,
          priority: message.priority, groupIndex: members.count))
      start = end
    }
    return Expansion(
      members: members,
      value: StoredGroup.celeryTuple(groupID: groupID, members: members.map(\.id)))
  }

  private static func arguments(_ message: TaskMessage) throws(TaskFailure) -> (
    JSONValue, [JSONValue], Int
  ) {
    func argument(_ key: String, _ position: Int) -> JSONValue? {
      if let value = message.kwargs[key] { return value }
      return position < message.args.count ? .some(message.args[position]) : .none
    }
    guard let task = argument("task", 0), let it = argument("it", 1), let n = argument("n", 2),
      message.args.count + message.kwargs.count == 3
    else { throw typeError("\(name)() takes exactly (task, it, n)") }
    let signature: TaskSignature
    do {
      signature = try TaskSignature(task)
    } catch {
      throw typeError("\(name): \(error.message)")
    }
    guard !CeleryBuiltinTasks.names.contains(signature.task), signature.task != name else {
      throw typeError("\(name): the task may not be a built-in task (\(signature.task))")
    }
    guard case .array(let items) = it, items.count <= maximumItems else {
      throw typeError("\(name): 'it' must be a list of at most \(maximumItems) argument lists")
    }
    guard items.allSatisfy({ if case .array = $0 { true } else { false } }) else {
      throw typeError("\(name): each item of 'it' must be a list of arguments")
    }
    guard let count = n.intValue, count >= 1, count <= Int64(maximumItems) else {
      throw typeError("\(name): 'n' must be an integer from 1 to \(maximumItems)")
    }
    return (task, items, Int(count))
  }

  private static func typeError(_ message: String) -> TaskFailure {
    TaskFailure(type: "TypeError", message: message)
  }
}
