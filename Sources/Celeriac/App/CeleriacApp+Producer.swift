import CeleriacCore
import CeleriacRedis

extension CeleriacApp {
  /// Opens the app's producer channels without blocking a cooperative thread: the first call
  /// opens the broker and backend (a SQLite file, a Redis client) on a dedicated queue.
  func openProducerChannels() async throws -> ProducerChannels {
    if hasProducerChannels { return try producerChannels() }
    return try await ProducerOpening.executor.run { try self.producerChannels() }
  }

  /// Opens the broker and backend now, and reads from the backend once, so that one that
  /// cannot be reached is reported here rather than at the first send.
  public func connect() async throws {
    let channels = try await openProducerChannels()
    _ = try await channels.results.result(for: Self.connectionCheckTaskID)
  }

  /// The task id ``connect()`` reads (no task has it).
  static let connectionCheckTaskID = "celeriac-connection-check"

  /// Whether the app's connections are open (after ``connect()`` or a first send, until
  /// ``shutdown()``).
  public var isConnected: Bool { hasProducerChannels }

  /// Publishes a built message (never eagerly) without blocking a thread of the cooperative
  /// pool, honouring its idempotency key: while a task holds the key, the holder's handle is
  /// returned and nothing is sent.
  public func publish(_ message: TaskMessage) async throws -> AsyncResult {
    let channels = try await openProducerChannels()
    let backend = try connection().backend
    if let key = message.idempotencyKey,
      let holder = try await channels.results.reserveIdempotencyKey(
        key, for: message.id, expiresIn: configuration.resultExpiry)
    {
      return AsyncResult(id: holder, backend: backend, reader: channels.results)
    }
    try await channels.publisher.publish([message])
    return AsyncResult(id: message.id, backend: backend, reader: channels.results)
  }

  /// Sends many tasks in one broker round trip (one transaction on SQLite) without blocking a
  /// thread of the cooperative pool; returns their handles in order.
  public func sendBatch(_ messages: [TaskMessage]) async throws -> [AsyncResult] {
    let channels = try await openProducerChannels()
    let backend = try connection().backend
    try await channels.publisher.publish(messages)
    return messages.map { AsyncResult(id: $0.id, backend: backend, reader: channels.results) }
  }

  /// Closes the app's broker and backend connections (the ones `send` and `get` use); a later
  /// call opens them again. ``CeleriacService`` calls it on graceful shutdown.
  public func shutdown() async {
    let (connection, channels) = takeConnection()
    await channels?.close()
    if let backend = connection?.backend as? RedisResultBackend {
      await ProducerOpening.executor.runIgnoringErrors { backend.close() }
    }
  }
}

/// Where apps open their connections for the first time: a queue of its own, as opening a
/// SQLite file blocks for a moment.
enum ProducerOpening {
  /// The shared queue.
  static let executor = BlockingExecutor(label: "celeriac.producer.open")
}

extension BlockingExecutor {
  /// Runs `body` and waits for it, ignoring its errors.
  func runIgnoringErrors(_ body: @escaping @Sendable () throws -> Void) async {
    _ = try? await run(body)
  }
}
