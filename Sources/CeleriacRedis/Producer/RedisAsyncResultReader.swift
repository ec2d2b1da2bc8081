import CeleriacCore
import NIOCore
import Synchronization

/// Reads Celery-format results on Redis without blocking a thread: `GET`s go out on the
/// client's shared NIO connection; a wait listens on the task's channel
/// (`celery-task-meta-<id>`, which the worker `PUBLISH`es to) through one subscribed connection
/// shared by every wait of the reader, and suspends until a ready state arrives, the time is
/// up, or the waiting task is cancelled.
public final class RedisAsyncResultReader: AsyncResultReader {
  /// The first pause between two `GET`s when the channel cannot be listened to.
  public static let firstPollInterval: Duration = .microseconds(250)
  /// The longest pause between two `GET`s when the channel cannot be listened to.
  public static let longestPollInterval: Duration = .milliseconds(50)

  /// The server and database of the results.
  public let url: RedisURL
  private let client: RedisClient
  private let subscriber: RedisSubscriber
  private let isClosed = Atomic(false)

  /// A reader on `url`; it connects on first use.
  ///
  /// - Parameter eventLoop: the loop its connections live on (see ``RedisClient``); `nil`: a
  ///   thread of its own.
  public init(
    url: RedisURL, options: RedisConnectionOptions = .celeriac, eventLoop: (any EventLoop)? = nil
  ) {
    self.url = url
    self.client = RedisClient(url: url, options: options, eventLoop: eventLoop)
    self.subscriber = RedisSubscriber(url: url, options: options, eventLoop: client.eventLoop)
  }

  deinit {
    guard !isClosed.load(ordering: .acquiring) else { return }
    // On the reader's own thread, stopping the loop closes the subscriber's connection too; on
    // a loop it was given, that connection is closed here.
    _ = subscriber.close()
    if client.canShutDownSynchronously { client.shutdownSync() }
  }

  /// The event loop its connections live on.
  public var eventLoop: any EventLoop { client.eventLoop }

  /// The stored record (one `GET`), or `nil`.
  ///
  /// - Throws: ``CeleriacError`` `.backendUnavailable`, or `.malformedMessage` for a value
  ///   that is not Celery's result JSON.
  public func result(for taskID: String) async throws -> TaskResultRecord? {
    let reply: RESPValue
    do {
      reply = try await client.send(["GET", CeleryResult.key(for: taskID)])
    } catch {
      throw backendUnavailable(error, "read result")
    }
    return try Self.record(in: reply, taskID: taskID)
  }

  /// Listens on the task's channel, then reads the key (a result stored before the listening
  /// began is not missed), then waits for published states until one is ready. If the channel
  /// cannot be listened to, or the connection is lost, polls for the rest of the time.
  ///
  /// The whole wait runs on the client's event loop: the caller suspends once and resumes once.
  public func waitForResult(_ taskID: String, timeout: Duration) async throws -> TaskResultRecord? {
    // After close() the event loop is stopped: a future of it would never complete.
    guard !isClosed.load(ordering: .acquiring) else {
      throw backendUnavailable(
        RedisError(code: .closed, message: "result reader was closed"), "wait for result")
    }
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    let guardian = ListenerGuard()
    do {
      return try await withTaskCancellationHandler {
        try await listenAndWait(
          taskID, deadline: .now() + .nanoseconds(timeout.wholeNanoseconds), guardian: guardian
        ).get()
      } onCancel: {
        guardian.cancel()
      }
    } catch {
      try Task.checkCancellation()
      if error is CeleriacError || error is CancellationError { throw error }
      return try await poll(taskID, until: deadline)
    }
  }

  /// Listens, reads the key, then waits for messages, all on the event loop.
  private func listenAndWait(_ taskID: String, deadline: NIODeadline, guardian: ListenerGuard)
    -> EventLoopFuture<TaskResultRecord?>
  {
    let client = self.client
    let key = CeleryResult.key(for: taskID)
    return subscriber.listen(to: key).flatMap { listener in
      guard guardian.attach(listener) else {
        listener.close()
        return client.eventLoop.makeFailedFuture(CancellationError())
      }
      let waited = client.sendFuture(["GET", key])
        .flatMapThrowing { try Self.record(in: $0, taskID: taskID) }
        .flatMap { Self.untilReady($0, taskID: taskID, on: listener, deadline: deadline) }
      waited.whenComplete { _ in listener.close() }
      return waited
    }
  }

  /// `last` once it is ready or the deadline has passed; else the states published next.
  private static func untilReady(
    _ last: TaskResultRecord?, taskID: String, on listener: RedisChannelListener,
    deadline: NIODeadline
  ) -> EventLoopFuture<TaskResultRecord?> {
    let remaining = deadline - .now()
    if last?.state.isReady ?? false || remaining <= .zero {
      return listener.eventLoop.makeSucceededFuture(last)
    }
    return listener.nextMessageFuture(timeout: remaining).flatMap { payload in
      guard let payload else { return listener.eventLoop.makeSucceededFuture(last) }
      let record = (try? CeleryResult.decode(String(buffer: payload), taskID: taskID)) ?? last
      return untilReady(record, taskID: taskID, on: listener, deadline: deadline)
    }
  }

  private static func record(in reply: RESPValue, taskID: String) throws -> TaskResultRecord? {
    guard let json = reply.string else { return nil }
    return try CeleryResult.decode(json, taskID: taskID)
  }

  private func backendUnavailable(_ error: any Error, _ operation: String) -> any Error {
    RedisFailure.wrap(
      error, .backendUnavailable, role: "result backend", url: url, operation: operation)
  }

  /// `GET` with a growing pause until the task is ready or the deadline passes; the pauses
  /// end at once when the task is cancelled.
  private func poll(_ taskID: String, until deadline: ContinuousClock.Instant) async throws
    -> TaskResultRecord?
  {
    try await ResultPolling.poll(
      until: deadline, firstInterval: Self.firstPollInterval,
      longestInterval: Self.longestPollInterval
    ) { try await result(for: taskID) }
  }

  /// `SET key taskID NX EX …`; when the key is held, returns the holder (as
  /// ``RedisResultBackend/reserveIdempotencyKey(_:for:expiresIn:)`` does).
  public func reserveIdempotencyKey(_ key: String, for taskID: String, expiresIn: Duration)
    async throws -> String?
  {
    let name = RedisKeys.idempotency(key)
    let seconds = max(1, Int(expiresIn.seconds.rounded(.up)))
    do {
      for _ in 0..<3 {
        let set = try await client.send(["SET", name, taskID, "NX", "EX", seconds])
        if !set.isNull { return nil }
        // Held: by whom? (It may expire between the two commands; then try again.)
        if let holder = try await client.send(["GET", name]).string {
          return holder == taskID ? nil : holder
        }
      }
    } catch {
      throw backendUnavailable(error, "reserve idempotency key")
    }
    throw CeleriacError(
      .backendUnavailable, "idempotency key \(key) keeps changing hands; try again")
  }

  /// Closes the shared connections (commands and subscriptions) and stops the event loop
  /// thread if it is the reader's own; waits in progress fall back to polling, which then
  /// fails.
  public func close() async {
    // Once only: a second close would submit to a stopped event loop.
    guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
    try? await subscriber.close().get()
    await client.shutdown()
  }
}

/// Hands a wait's listener to its cancellation handler, which may run before the listener
/// exists, at the same time, or after: whichever comes second closes it.
private final class ListenerGuard: Sendable {
  private struct State {
    var cancelled = false
    var listener: RedisChannelListener?
  }
  private let state = Mutex(State())

  /// Keeps `listener` for a later cancellation; `false` when cancelled already.
  func attach(_ listener: RedisChannelListener) -> Bool {
    state.withLock { state in
      if state.cancelled { return false }
      state.listener = listener
      return true
    }
  }

  /// Marks the wait cancelled and closes its listener (the wait then fails with `.closed` and
  /// turns that into `CancellationError`).
  func cancel() {
    let listener = state.withLock { state -> RedisChannelListener? in
      state.cancelled = true
      return state.listener
    }
    listener?.close()
  }
}
