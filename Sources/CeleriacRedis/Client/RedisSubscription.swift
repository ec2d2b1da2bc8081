import NIOCore

/// Messages received on a subscribed connection and the callers waiting for them; confined to
/// the connection's event loop.
final class PubSubInbox {
  private struct Waiter {
    var id: Int
    var promise: EventLoopPromise<ByteBuffer?>
    var timer: Scheduled<Void>?
  }

  private var messages = CircularBuffer<ByteBuffer>()
  private var waiters = CircularBuffer<Waiter>()
  private var nextID = 0
  private var closedError: RedisError?
  private let capacity: Int
  /// Messages dropped, oldest first, because nobody read them before ``capacity`` more came.
  private(set) var dropped = 0

  /// An inbox that keeps at most `capacity` unread messages (a reader that falls behind a
  /// busy channel loses the oldest, rather than the process growing without bound).
  init(capacity: Int = RedisSubscription.defaultInboxCapacity) {
    self.capacity = max(1, capacity)
  }

  /// Takes a pub/sub message: `["message", channel, payload]` or, for a pattern subscription,
  /// `["pmessage", pattern, channel, payload]` (RESP2 array or RESP3 push).
  func deliver(_ value: RESPValue) {
    guard let elements = value.array else { return }
    let payload: ByteBuffer
    switch (elements.first?.string, elements.count) {
    case ("message"?, 3):
      guard let bytes = elements[2].bytes else { return }
      payload = bytes
    case ("pmessage"?, 4):
      guard let bytes = elements[3].bytes else { return }
      payload = bytes
    default:
      return  // Subscribe confirmations and pongs are not waited for.
    }
    if self.waiters.isEmpty {
      if self.messages.count >= self.capacity {
        self.messages.removeFirst()
        self.dropped += 1
      }
      self.messages.append(payload)
    } else {
      let waiter = self.waiters.removeFirst()
      waiter.timer?.cancel()
      waiter.promise.succeed(payload)
    }
  }

  /// The next message, or `nil` when none arrives within `timeout`.
  func next(timeout: TimeAmount, eventLoop: any EventLoop) -> EventLoopFuture<ByteBuffer?> {
    if !self.messages.isEmpty {
      return eventLoop.makeSucceededFuture(self.messages.removeFirst())
    }
    if let closedError {
      return eventLoop.makeFailedFuture(closedError)
    }
    let promise = eventLoop.makePromise(of: ByteBuffer?.self)
    let id = self.nextID
    self.nextID += 1
    let timer = eventLoop.assumeIsolated().scheduleTask(in: timeout) {
      self.expire(id)
    }
    self.waiters.append(Waiter(id: id, promise: promise, timer: timer))
    return promise.futureResult
  }

  /// Fails every waiter once the connection has closed.
  func close(_ error: RedisError) {
    self.closedError = error
    let waiters = self.waiters
    self.waiters.removeAll()
    for waiter in waiters {
      waiter.timer?.cancel()
      waiter.promise.fail(error)
    }
  }

  private func expire(_ id: Int) {
    guard let index = self.waiters.firstIndex(where: { $0.id == id }) else { return }
    let waiter = self.waiters.remove(at: index)
    waiter.promise.succeed(nil)
  }
}

/// A connection subscribed to one pub/sub channel (`SUBSCRIBE`), used to wait for a message
/// with a timeout, e.g. for a task result published on `celery-task-meta-<id>`.
///
/// Messages that arrive while nobody waits are kept, in order, for the next call (at most
/// ``defaultInboxCapacity`` of them; older ones are dropped first).
public final class RedisSubscription: Sendable {
  /// How many unread messages a subscription keeps.
  public static let defaultInboxCapacity = 10_000

  /// The subscribed channel.
  public let channel: String
  /// The dedicated connection (in subscribe mode it accepts only pub/sub commands).
  public let connection: RedisConnection
  private let inbox: NIOLoopBound<PubSubInbox>

  private init(channel: String, connection: RedisConnection, inbox: NIOLoopBound<PubSubInbox>) {
    self.channel = channel
    self.connection = connection
    self.inbox = inbox
  }

  /// Opens a new connection to `url` and subscribes it to `channel`; with `pattern`, to every
  /// channel matching the glob `channel` (`PSUBSCRIBE`).
  public static func subscribe(
    to channel: String,
    pattern: Bool = false,
    url: RedisURL,
    options: RedisConnectionOptions = RedisConnectionOptions(),
    on eventLoop: any EventLoop
  ) -> EventLoopFuture<RedisSubscription> {
    RedisConnection.connect(to: url, options: options, on: eventLoop)
      .flatMap { connection in
        let inbox = PubSubInbox()
        let handler = connection.handler.value
        handler.pubSubMode = true
        handler.pushHandler = { inbox.deliver($0) }
        let endpoint = url.endpoint
        connection.closeFuture.assumeIsolated().whenComplete { _ in
          inbox.close(
            RedisError(
              code: .closed,
              message: "subscription connection to Redis at \(endpoint) was closed"))
        }
        let subscription = RedisSubscription(
          channel: channel, connection: connection,
          inbox: NIOLoopBound(inbox, eventLoop: connection.eventLoop))
        let verb = pattern ? "PSUBSCRIBE" : "SUBSCRIBE"
        return connection.sendFuture([verb, channel])
          .flatMapThrowing { reply in
            guard let elements = reply.array, elements.first?.string == verb.lowercased() else {
              throw RedisError(
                code: .protocolError,
                message: "Redis at \(endpoint) answered \(verb) with \(reply)")
            }
            return subscription
          }
          .flatMapErrorThrowing { error in
            connection.channel.close(promise: nil)
            throw error
          }
      }
  }

  /// Subscribes as ``subscribe(to:pattern:url:options:on:)-(_,_,_,_,_)`` does, suspending until
  /// done.
  public static func subscribe(
    to channel: String,
    pattern: Bool = false,
    url: RedisURL,
    options: RedisConnectionOptions = RedisConnectionOptions(),
    on eventLoop: any EventLoop
  ) async throws -> RedisSubscription {
    try await Self.subscribe(
      to: channel, pattern: pattern, url: url, options: options, on: eventLoop
    ).get()
  }

  /// The payload of the next message, or `nil` if none arrives within `timeout`; fails with
  /// `.closed` if the connection is lost.
  public func nextMessageFuture(timeout: TimeAmount) -> EventLoopFuture<ByteBuffer?> {
    let eventLoop = self.connection.eventLoop
    let inbox = self.inbox
    if eventLoop.inEventLoop {
      return inbox.value.next(timeout: timeout, eventLoop: eventLoop)
    }
    return eventLoop.flatSubmit { inbox.value.next(timeout: timeout, eventLoop: eventLoop) }
  }

  /// The payload of the next message, or `nil` on timeout, suspending until then.
  public func nextMessage(timeout: TimeAmount) async throws -> ByteBuffer? {
    try await self.nextMessageFuture(timeout: timeout).get()
  }

  /// The payload of the next message, or `nil` on timeout, blocking the calling thread.
  public func nextMessageSync(timeout: TimeAmount) throws -> ByteBuffer? {
    try self.nextMessageFuture(timeout: timeout).wait()
  }

  /// Closes the subscription's connection.
  public func close() async {
    await self.connection.close()
  }

  /// Closes the subscription's connection, blocking until it is closed.
  public func closeSync() {
    self.connection.closeSync()
  }
}
