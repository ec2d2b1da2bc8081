/// Celery's built-in tasks that a canvas sends by name and a worker serves (celery/app/
/// builtins.py): `celery.map(task, it)` calls the task once per item, `celery.starmap(task,
/// it)` once per argument list (Python's `add.chunks(…)` is a group of `celery.starmap`
/// messages); both run the calls in the child, one after the other, and return the list of
/// values, as Celery does. `celery.chunks` sent by name is served by the supervisor
/// (``CeleryChunks``).
public enum CeleryBuiltinTasks {
  /// `celery.map`.
  public static let map = "celery.map"
  /// `celery.starmap`.
  public static let starmap = "celery.starmap"
  /// The names served.
  public static let names: Set<String> = [map, starmap]

  /// The built-in task `name` over the tasks of `registry`, or `nil` when `name` is none.
  static func task(named name: String, in registry: TaskRegistry) -> RegisteredTask? {
    guard names.contains(name) else { return nil }
    let spreads = name == starmap
    return RegisteredTask(name: name) { args, kwargs, context in
      let (signature, items) = try arguments(of: name, args: args, kwargs: kwargs)
      guard !names.contains(signature.task), let inner = registry[signature.task] else {
        throw TaskFailure(
          type: "NotRegistered", message: "\(name): task '\(signature.task)' is not registered",
          module: TaskFailure.celeryExceptionsModule)
      }
      var values: [JSONValue] = []
      values.reserveCapacity(items.count)
      for item in items {
        try Task.checkCancellation()
        if spreads {
          guard case .array(let spread) = item else {
            throw TaskFailure(
              type: "TypeError",
              message:
                "\(name): each item must be a list of arguments, not \(item.compactDescription.prefix(80))"
            )
          }
          values.append(try await inner.handler(spread, [:], context))
        } else {
          values.append(try await inner.handler([item], [:], context))
        }
      }
      return .array(values)
    }
  }

  /// `(task, it)` from positional or keyword arguments, checked.
  private static func arguments(
    of name: String, args: [JSONValue], kwargs: [String: JSONValue]
  ) throws -> (TaskSignature, [JSONValue]) {
    // JSONValue is nil-literal expressible: spell the optionals out.
    let positionalTask: JSONValue? = args.count > 0 ? .some(args[0]) : .none
    let positionalIt: JSONValue? = args.count > 1 ? .some(args[1]) : .none
    guard let task = kwargs["task"] ?? positionalTask, let it = kwargs["it"] ?? positionalIt,
      args.count + kwargs.count == 2
    else {
      throw TaskFailure(type: "TypeError", message: "\(name)() takes exactly (task, it)")
    }
    let signature: TaskSignature
    do {
      signature = try TaskSignature(task)
    } catch {
      throw TaskFailure(type: "TypeError", message: "\(name): \(error.message)")
    }
    guard case .array(let items) = it else {
      throw TaskFailure(
        type: "TypeError",
        message: "\(name): 'it' must be a list, not \(it.compactDescription.prefix(80))")
    }
    return (signature, items)
  }
}
