import CeleriacCore
import NIOCore
import Synchronization

/// Reads Celery-format results on Redis without blocking a thread: `GET`s go out on the
/// client's shared NIO connection; a wait subscribes its own connection to the task's channel
/// (`celery-task-meta-<id>`, which the worker `PUBLISH`es to) and suspends until a ready state
/// arrives, the time is up, or the waiting task is cancelled.
public final class RedisAsyncResultReader: AsyncResultReader {
  /// How long a wait polls with `GET` before it subscribes: most tasks finish within a few
  /// milliseconds, sooner than a subscription connection is made.
  public static let quickPollWindow: Duration = .milliseconds(3)
  /// The pause between those `GET`s.
  public static let quickPollInterval: Duration = .microseconds(250)
  /// The longest pause between two `GET`s when the subscription cannot be made.
  public static let longestPollInterval: Duration = .milliseconds(50)

  /// The server and database of the results.
  public let url: RedisURL
  private let client: RedisClient

  /// A reader on `url`; it connects on first use.
  public init(url: RedisURL, options: RedisConnectionOptions = .celeriac) {
    self.url = url
    self.client = RedisClient(url: url, options: options)
  }

  deinit {
    if !client.eventLoop.inEventLoop { client.shutdownSync() }
  }

  /// The stored record (one `GET`), or `nil`.
  ///
  /// - Throws: ``CeleriacError`` `.backendUnavailable`, or `.malformedMessage` for a value
  ///   that is not Celery's result JSON.
  public func result(for taskID: String) async throws -> TaskResultRecord? {
    let reply: RESPValue
    do {
      reply = try await client.send(["GET", CeleryResult.key(for: taskID)])
    } catch {
      throw RedisFailure.wrap(
        error, .backendUnavailable, role: "result backend", url: url, operation: "read result")
    }
    guard let json = reply.string else { return nil }
    return try CeleryResult.decode(json, taskID: taskID)
  }

  /// Polls briefly, then subscribes to the task's channel, reads the key once more (a result
  /// stored in between is not missed) and waits for published states. If the subscription
  /// cannot be made or is lost, polls for the rest of the time.
  public func waitForResult(_ taskID: String, timeout: Duration) async throws -> TaskResultRecord? {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    let quickUntil = min(deadline, clock.now + Self.quickPollWindow)
    var last = try await result(for: taskID)
    while !(last?.state.isReady ?? false) && clock.now < quickUntil {
      try await Task.sleep(for: Self.quickPollInterval)
      last = try await result(for: taskID)
    }
    if last?.state.isReady ?? false || clock.now >= deadline { return last }
    let guardian = SubscriptionGuard()
    return try await withTaskCancellationHandler {
      try await subscribeAndWait(taskID, deadline: deadline, guardian: guardian)
    } onCancel: {
      guardian.cancel()
    }
  }

  private func subscribeAndWait(
    _ taskID: String, deadline: ContinuousClock.Instant, guardian: SubscriptionGuard
  ) async throws -> TaskResultRecord? {
    let subscription: RedisSubscription
    do {
      subscription = try await client.subscribe(to: CeleryResult.key(for: taskID))
    } catch {
      try Task.checkCancellation()
      return try await poll(taskID, until: deadline)
    }
    guard guardian.attach(subscription) else {
      await subscription.close()
      throw CancellationError()
    }
    do {
      let record = try await waitForMessages(taskID, on: subscription, until: deadline)
      await subscription.close()
      return record
    } catch {
      await subscription.close()
      try Task.checkCancellation()
      if error is CeleriacError { throw error }
      return try await poll(taskID, until: deadline)
    }
  }

  private func waitForMessages(
    _ taskID: String, on subscription: RedisSubscription, until deadline: ContinuousClock.Instant
  ) async throws -> TaskResultRecord? {
    var last = try await result(for: taskID)
    while !(last?.state.isReady ?? false) {
      let remaining = deadline - ContinuousClock.now
      if remaining <= .zero { break }
      guard
        let payload = try await subscription.nextMessage(
          timeout: .nanoseconds(max(remaining.wholeNanoseconds, 1)))
      else { break }
      if let record = try? CeleryResult.decode(String(buffer: payload), taskID: taskID) {
        last = record
      }
    }
    return last
  }

  /// `GET` with a growing pause until the task is ready or the deadline passes; the pauses
  /// end at once when the task is cancelled.
  private func poll(_ taskID: String, until deadline: ContinuousClock.Instant) async throws
    -> TaskResultRecord?
  {
    try await ResultPolling.poll(
      until: deadline, firstInterval: Self.quickPollInterval,
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
      throw RedisFailure.wrap(
        error, .backendUnavailable, role: "result backend", url: url,
        operation: "reserve idempotency key")
    }
    throw CeleriacError(
      .backendUnavailable, "idempotency key \(key) keeps changing hands; try again")
  }

  /// Closes the shared connection and stops the client's event loop thread.
  public func close() async {
    await client.shutdown()
  }
}

/// Hands a wait's subscription to its cancellation handler, which may run before the
/// subscription exists, at the same time, or after: whichever comes second closes it.
private final class SubscriptionGuard: Sendable {
  private struct State {
    var cancelled = false
    var subscription: RedisSubscription?
  }
  private let state = Mutex(State())

  /// Keeps `subscription` for a later cancellation; `false` when cancelled already.
  func attach(_ subscription: RedisSubscription) -> Bool {
    state.withLock { state in
      if state.cancelled { return false }
      state.subscription = subscription
      return true
    }
  }

  /// Marks the wait cancelled and closes its subscription's connection (the wait then fails
  /// with `.closed` and turns that into `CancellationError`).
  func cancel() {
    let subscription = state.withLock { state -> RedisSubscription? in
      state.cancelled = true
      return state.subscription
    }
    subscription?.connection.channel.close(promise: nil)
  }
}
