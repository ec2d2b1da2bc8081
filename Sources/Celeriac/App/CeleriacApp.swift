import Foundation
import NIOCore
import Synchronization

/// A Celeriac application: the registered tasks plus where to send them.
///
/// A user's package builds one at start-up, registers its tasks, and hands it to
/// `CeleriacCommandLine.main(app:)`, which gives the binary `worker`, `send`, `result`, … .
/// The same app sends tasks from Swift code:
/// ```swift
/// let app = CeleriacApp()
/// app.register(Add())
/// let result = try await app.send("tasks.add", args: [2, 3])
/// print(try await result.get(timeout: .seconds(5)))  // 5
/// ```
public final class CeleriacApp: Sendable {
  /// The app's name, shown in logs.
  public let name: String
  /// The event loops the non-blocking Redis producer (`send`, `AsyncResult`) runs its
  /// connections on; `nil`: a thread of its own for each. See ``init(name:configuration:eventLoopGroup:)``.
  public let eventLoopGroup: (any EventLoopGroup)?
  private let state: Mutex<State>
  /// The entries declared with `schedule(...)` (see `CeleriacApp+Schedule.swift`).
  let scheduledEntries = Mutex<[ScheduleEntry]>([])

  private struct State {
    var registry = TaskRegistry()
    var configuration: CeleriacConfiguration
    var connection: Connection?
    var channels: ProducerChannels?
    var eagerBackend: InMemoryResultBackend?
  }

  /// Creates an app; the configuration defaults to the environment's.
  ///
  /// - Parameter eventLoopGroup: where the non-blocking Redis producer keeps its connections.
  ///   Give a server's group (Hummingbird's and Vapor's default is
  ///   `MultiThreadedEventLoopGroup.singleton`) to share its threads instead of starting one.
  ///   When NIO's loops also run Swift's tasks
  ///   (`NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()`
  ///   at the top of `main`), a send from a request handler then needs no thread switch: the
  ///   reply resumes the handler on the loop that read it. `nil` (the default): a thread of the
  ///   producer's own. SQLite does not use it.
  public init(
    name: String = "celeriac",
    configuration: CeleriacConfiguration = .fromEnvironment(),
    eventLoopGroup: (any EventLoopGroup)? = nil
  ) {
    self.name = name
    self.eventLoopGroup = eventLoopGroup
    self.state = Mutex(State(configuration: configuration))
  }

  /// The registered tasks.
  public var registry: TaskRegistry { state.withLock { $0.registry } }

  /// The current configuration.
  public var configuration: CeleriacConfiguration {
    get { state.withLock { $0.configuration } }
    set {
      state.withLock {
        $0.configuration = newValue
        $0.connection = nil
        $0.channels = nil
      }
    }
  }

  /// Registers a task declared as a ``TaskDefinition``.
  public func register<Definition: TaskDefinition>(_ definition: Definition) {
    state.withLock { $0.registry.register(definition) }
  }

  /// Registers a task as a closure over raw JSON arguments.
  public func register(
    _ name: String, defaults: TaskDefaults = TaskDefaults(),
    handler: @escaping RegisteredTask.Handler
  ) {
    state.withLock {
      $0.registry.register(RegisteredTask(name: name, defaults: defaults, handler: handler))
    }
  }

  /// The broker and backend, opened on first use.
  public func connection() throws -> Connection {
    try state.withLock { state in
      if let connection = state.connection { return connection }
      let connection = try ConnectionFactory.open(state.configuration)
      state.connection = connection
      return connection
    }
  }

  /// The non-blocking publisher and result reader over ``connection()``, made on first use.
  func producerChannels() throws -> ProducerChannels {
    if let channels = state.withLock({ $0.channels }) { return channels }
    let connection = try connection()
    return state.withLock { state in
      if let channels = state.channels { return channels }
      let channels = ProducerChannels(for: connection, eventLoopGroup: eventLoopGroup)
      state.channels = channels
      return channels
    }
  }

  /// Whether the connection and its channels are open already (no I/O needed to use them).
  var hasProducerChannels: Bool { state.withLock { $0.channels != nil } }

  /// Forgets the connection and its channels, returning them to be closed.
  func takeConnection() -> (Connection?, ProducerChannels?) {
    state.withLock { state in
      defer {
        state.connection = nil
        state.channels = nil
      }
      return (state.connection, state.channels)
    }
  }

  /// Sends a task by name with JSON arguments.
  ///
  /// In eager mode the task runs here and now and its error, if any, is thrown from this call.
  /// With an idempotency key, a second send while the first task's key is held returns the
  /// first task's handle instead of sending again.
  @discardableResult
  public func send(
    _ name: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:],
    options: SendOptions = SendOptions()
  ) async throws -> AsyncResult {
    let message = makeMessage(name, args: args, kwargs: kwargs, options: options)
    if configuration.alwaysEager { return try await runEagerly(message) }
    return try await publish(message)
  }

  /// Publishes a built message to the broker (never eagerly), honouring its idempotency key:
  /// while a task holds the key, the holder's handle is returned and nothing is sent.
  public func publish(_ message: TaskMessage) throws -> AsyncResult {
    let connection = try connection()
    if let key = message.idempotencyKey,
      let holder = try connection.backend.reserveIdempotencyKey(
        key, for: message.id, expiresIn: configuration.resultExpiry)
    {
      return AsyncResult(id: holder, backend: connection.backend)
    }
    do {
      try connection.broker.publish([message])
    } catch {
      // The key must not keep pointing at a task that was never sent.
      if let key = message.idempotencyKey {
        try? connection.backend.releaseIdempotencyKey(key, heldBy: message.id)
      }
      throw error
    }
    return AsyncResult(id: message.id, backend: connection.backend)
  }

  /// Sends a task declared as a ``TaskDefinition`` with typed arguments (sent as kwargs).
  @discardableResult
  public func send<Definition: TaskDefinition>(
    _ task: Definition.Type, _ arguments: Definition.Arguments,
    options: SendOptions = SendOptions()
  ) async throws -> AsyncResult where Definition.Arguments: Encodable {
    guard case .object(let kwargs) = try JSONCoding.jsonValue(arguments) else {
      throw CeleriacError(
        .invalidArguments, "\(Definition.name): arguments must encode to an object")
    }
    return try await send(Definition.name, kwargs: kwargs, options: options)
  }

  /// Sends many tasks in one broker round trip; returns their handles in order.
  public func sendBatch(_ messages: [TaskMessage]) throws -> [AsyncResult] {
    let connection = try connection()
    try connection.broker.publish(messages)
    return messages.map { AsyncResult(id: $0.id, backend: connection.backend) }
  }

  /// Builds the message a send would publish, with the task's defaults applied.
  public func makeMessage(
    _ name: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:],
    options: SendOptions = SendOptions()
  ) -> TaskMessage {
    let defaults = registry[name]?.defaults ?? TaskDefaults()
    let eta = options.eta ?? options.countdown.map { Date().addingTimeInterval($0.seconds) }
    let id = options.taskID ?? UUID().lowercasedText
    return TaskMessage(
      id: id, name: name, args: args, kwargs: kwargs, queue: options.queue ?? defaults.queue,
      eta: eta, expires: options.expires, timeLimit: options.timeLimit ?? defaults.timeLimit,
      options: options.options ?? defaults.options, rootID: id,
      idempotencyKey: options.idempotencyKey, priority: options.priority ?? defaults.priority)
  }

  /// A handle on a task sent earlier, by id. No broker I/O happens here (the first call of
  /// an app may open its SQLite file); the handle's `state()` and `get()` suspend for theirs.
  public func result(for taskID: String) throws -> AsyncResult {
    if configuration.alwaysEager, let backend = state.withLock({ $0.eagerBackend }) {
      return AsyncResult(id: taskID, backend: backend)
    }
    let channels = try producerChannels()
    return AsyncResult(id: taskID, backend: try connection().backend, reader: channels.results)
  }

  private func runEagerly(_ message: TaskMessage) async throws -> AsyncResult {
    let backend = state.withLock { state in
      if state.eagerBackend == nil { state.eagerBackend = InMemoryResultBackend() }
      return state.eagerBackend!
    }
    let runner = EagerRunner(registry: registry, backend: backend)
    try await runner.run(message)
    return AsyncResult(id: message.id, backend: backend)
  }
}
