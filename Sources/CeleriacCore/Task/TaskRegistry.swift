/// A task as the registry keeps it: its name, defaults, and a type-erased handler.
public struct RegisteredTask: Sendable {
  /// The handler's type: arguments and context in, a JSON result out.
  public typealias Handler =
    @Sendable ([JSONValue], [String: JSONValue], TaskContext) async throws -> JSONValue

  /// The task's name, e.g. `tasks.add`.
  public let name: String
  /// What sends use unless overridden.
  public let defaults: TaskDefaults
  /// Runs the task.
  public let handler: Handler

  /// Registers a handler under a name.
  public init(name: String, defaults: TaskDefaults = TaskDefaults(), handler: @escaping Handler) {
    self.name = name
    self.defaults = defaults
    self.handler = handler
  }
}

/// The tasks an app knows, by name. Built once at start-up, then read-only.
public struct TaskRegistry: Sendable {
  private var tasks: [String: RegisteredTask] = [:]

  /// An empty registry.
  public init() {}

  /// Adds (or replaces) a task.
  public mutating func register(_ task: RegisteredTask) {
    tasks[task.name] = task
  }

  /// Adds a task given as a ``TaskDefinition`` value.
  public mutating func register<Definition: TaskDefinition>(_ definition: Definition) {
    register(
      RegisteredTask(name: Definition.name, defaults: Definition.defaults) {
        args, kwargs, context in
        let arguments = try Definition.decodeArguments(args: args, kwargs: kwargs)
        let output = try await definition.run(arguments, context: context)
        return try JSONCoding.jsonValue(output)
      })
  }

  /// The task registered under `name`, or Celery's built-in `celery.map` / `celery.starmap`
  /// over the registered tasks (``CeleryBuiltinTasks``).
  public subscript(name: String) -> RegisteredTask? {
    tasks[name] ?? CeleryBuiltinTasks.task(named: name, in: self)
  }

  /// Every registered name, sorted.
  public var names: [String] { tasks.keys.sorted() }
}
