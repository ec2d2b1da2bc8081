import NIOCore

/// One connection subscribed to many pub/sub channels at once, shared by every listener.
///
/// Kombu's result consumer works the same way: a producer that waits on many results at once
/// holds one subscribed connection, not one per wait. A channel is subscribed once, however
/// many listen to it, and unsubscribed when its last listener closes. The connection is made
/// on the first ``listen(to:)``. When it drops, every listener fails with `.closed`, and the
/// next ``listen(to:)`` connects again.
///
/// The state is confined to `eventLoop`; every method may be called from any thread.
public final class RedisSubscriber: Sendable {
  /// How many unread messages one listener keeps; a result channel carries a few states per
  /// task, so more means a listener that stopped reading (the oldest are dropped first).
  public static let defaultListenerCapacity = 64

  /// The server (its database does not matter to pub/sub).
  public let url: RedisURL
  /// The options of the connection.
  public let options: RedisConnectionOptions
  /// The event loop that owns the connection and every listener.
  public let eventLoop: any EventLoop
  private let core: NIOLoopBoundBox<SubscriberCore>

  /// A subscriber on `eventLoop`; it connects on the first ``listen(to:)``.
  public init(url: RedisURL, options: RedisConnectionOptions, eventLoop: any EventLoop) {
    self.url = url
    self.options = options
    self.eventLoop = eventLoop
    self.core = .makeBoxSendingValue(
      SubscriberCore(url: url, options: options, eventLoop: eventLoop), eventLoop: eventLoop)
  }

  /// A listener on `channel`, once Redis has confirmed the subscription: every message
  /// published on the channel after that reaches it.
  ///
  /// Fails with a ``RedisError`` when the connection cannot be made or the subscription is
  /// refused, and with `.closed` after ``close()``.
  public func listen(to channel: String) -> EventLoopFuture<RedisChannelListener> {
    let core = self.core
    if self.eventLoop.inEventLoop { return core.value.listen(to: channel, subscriber: self) }
    return self.eventLoop.flatSubmit { core.value.listen(to: channel, subscriber: self) }
  }

  /// The channels subscribed now, for tests and gauges.
  public func subscribedChannels() -> EventLoopFuture<Set<String>> {
    let core = self.core
    return self.eventLoop.submit { core.value.subscribedChannels }
  }

  /// Fails every listener with `.closed`, closes the connection and refuses later listens.
  public func close() -> EventLoopFuture<Void> {
    let core = self.core
    return self.eventLoop.flatSubmit { core.value.close() }
  }

  /// Ends one listener (see ``RedisChannelListener/close()``).
  fileprivate func remove(_ id: Int, from channel: String) {
    let core = self.core
    if self.eventLoop.inEventLoop {
      core.value.remove(id, from: channel)
    } else {
      self.eventLoop.execute { core.value.remove(id, from: channel) }
    }
  }
}

/// One caller's view of a subscribed channel: its messages, in order, from the moment of the
/// subscription until ``close()``.
public final class RedisChannelListener: Sendable {
  /// The channel listened to.
  public let channel: String
  /// The event loop of the subscription.
  public var eventLoop: any EventLoop { self.subscriber.eventLoop }
  private let id: Int
  private let subscriber: RedisSubscriber
  private let inbox: NIOLoopBound<PubSubInbox>

  fileprivate init(
    channel: String, id: Int, subscriber: RedisSubscriber, inbox: NIOLoopBound<PubSubInbox>
  ) {
    self.channel = channel
    self.id = id
    self.subscriber = subscriber
    self.inbox = inbox
  }

  /// The payload of the next message, or `nil` when none arrives within `timeout`; fails with
  /// `.closed` once the listener or its connection is closed.
  public func nextMessageFuture(timeout: TimeAmount) -> EventLoopFuture<ByteBuffer?> {
    let eventLoop = self.subscriber.eventLoop
    let inbox = self.inbox
    if eventLoop.inEventLoop { return inbox.value.next(timeout: timeout, eventLoop: eventLoop) }
    return eventLoop.flatSubmit { inbox.value.next(timeout: timeout, eventLoop: eventLoop) }
  }

  /// The payload of the next message, or `nil` on timeout, suspending until then.
  public func nextMessage(timeout: TimeAmount) async throws -> ByteBuffer? {
    try await self.nextMessageFuture(timeout: timeout).get()
  }

  /// Stops listening: a wait in progress fails with `.closed`, and the channel's last listener
  /// unsubscribes it. Safe to call from any thread, and more than once.
  public func close() {
    self.subscriber.remove(self.id, from: self.channel)
  }
}

/// The subscriber's state, on its event loop only.
private final class SubscriberCore {
  private enum Link {
    case idle
    case connecting(EventLoopFuture<RedisConnection>)
    case connected(RedisConnection)
    case closed
  }

  /// The listeners of one channel and the subscription they wait for.
  private struct Channel {
    var listeners: [Int: PubSubInbox]
    /// Succeeds with the connection once Redis has confirmed the `SUBSCRIBE`.
    var subscribed: EventLoopFuture<RedisConnection>
  }

  private let url: RedisURL
  private let options: RedisConnectionOptions
  private let eventLoop: any EventLoop
  private var link = Link.idle
  private var channels: [String: Channel] = [:]
  private var nextID = 0

  init(url: RedisURL, options: RedisConnectionOptions, eventLoop: any EventLoop) {
    self.url = url
    self.options = options
    self.eventLoop = eventLoop
  }

  var subscribedChannels: Set<String> { Set(self.channels.keys) }

  func listen(to channel: String, subscriber: RedisSubscriber) -> EventLoopFuture<
    RedisChannelListener
  > {
    if case .closed = self.link {
      return self.eventLoop.makeFailedFuture(Self.closedError(self.url))
    }
    let id = self.nextID
    self.nextID += 1
    let inbox = PubSubInbox(capacity: RedisSubscriber.defaultListenerCapacity)
    let listener = RedisChannelListener(
      channel: channel, id: id, subscriber: subscriber,
      inbox: NIOLoopBound(inbox, eventLoop: self.eventLoop))
    let subscribed: EventLoopFuture<RedisConnection>
    if var entry = self.channels[channel] {
      entry.listeners[id] = inbox
      self.channels[channel] = entry
      subscribed = entry.subscribed
    } else {
      subscribed = self.subscribe(channel)
      self.channels[channel] = Channel(listeners: [id: inbox], subscribed: subscribed)
    }
    return subscribed.map { _ in listener }.assumeIsolated().flatMapErrorThrowing { error in
      self.remove(id, from: channel)
      throw error
    }.nonisolated()
  }

  /// Ends a listener; the last one of a channel unsubscribes it once its `SUBSCRIBE` is done
  /// (unless someone listens to the channel again by then).
  func remove(_ id: Int, from channel: String) {
    guard var entry = self.channels[channel],
      let inbox = entry.listeners.removeValue(forKey: id)
    else { return }
    inbox.close(RedisError(code: .closed, message: "listener on \(channel) was closed"))
    if !entry.listeners.isEmpty {
      self.channels[channel] = entry
      return
    }
    self.channels[channel] = nil
    entry.subscribed.assumeIsolated().whenSuccess { connection in
      guard self.channels[channel] == nil, connection.isConnected else { return }
      connection.sendFuture(["UNSUBSCRIBE", channel]).whenComplete { _ in }
    }
  }

  func close() -> EventLoopFuture<Void> {
    let link = self.link
    self.link = .closed
    self.failAll(Self.closedError(self.url))
    switch link {
    case .connected(let connection):
      connection.channel.close(promise: nil)
      return connection.closeFuture
    case .connecting(let future):
      return future.flatMap { connection in
        connection.channel.close(promise: nil)
        return connection.closeFuture
      }.recover { _ in }
    case .idle, .closed:
      return self.eventLoop.makeSucceededVoidFuture()
    }
  }

  // MARK: - The connection

  private func subscribe(_ channel: String) -> EventLoopFuture<RedisConnection> {
    let url = self.url
    return self.connection().flatMap { connection in
      connection.sendFuture(["SUBSCRIBE", channel]).flatMapThrowing { reply in
        guard let elements = reply.array, elements.first?.string == "subscribe" else {
          throw RedisError(
            code: .protocolError,
            message: "Redis at \(url.endpoint) answered SUBSCRIBE with \(reply)")
        }
        return connection
      }
    }
  }

  private func connection() -> EventLoopFuture<RedisConnection> {
    switch self.link {
    case .connected(let connection) where connection.isConnected:
      return self.eventLoop.makeSucceededFuture(connection)
    case .connecting(let future):
      return future
    case .closed:
      return self.eventLoop.makeFailedFuture(Self.closedError(self.url))
    case .idle, .connected:
      break
    }
    let future = RedisConnection.connect(to: self.url, options: self.options, on: self.eventLoop)
      .assumeIsolated().map { connection -> RedisConnection in
        self.attach(connection)
        return connection
      }.nonisolated()
    future.assumeIsolated().whenFailure { _ in
      if case .connecting = self.link { self.link = .idle }
    }
    self.link = .connecting(future)
    return future
  }

  /// Puts a new connection in pub/sub mode and routes its messages to the listeners.
  private func attach(_ connection: RedisConnection) {
    if case .closed = self.link {
      connection.channel.close(promise: nil)
      return
    }
    let handler = connection.handler.value
    handler.pubSubMode = true
    handler.pushHandler = { self.route($0) }
    self.link = .connected(connection)
    let endpoint = self.url.endpoint
    connection.closeFuture.assumeIsolated().whenComplete { _ in
      if case .connected(let current) = self.link, current === connection { self.link = .idle }
      self.failAll(
        RedisError(
          code: .closed, message: "subscription connection to Redis at \(endpoint) was closed"))
    }
  }

  /// Hands a `message` to every listener of its channel.
  private func route(_ value: RESPValue) {
    guard let elements = value.array, elements.count == 3, elements[0].string == "message",
      let channel = elements[1].string, let entry = self.channels[channel]
    else { return }
    for inbox in entry.listeners.values { inbox.deliver(value) }
  }

  private func failAll(_ error: RedisError) {
    let channels = self.channels
    self.channels = [:]
    for entry in channels.values {
      for inbox in entry.listeners.values { inbox.close(error) }
    }
  }

  private static func closedError(_ url: RedisURL) -> RedisError {
    RedisError(code: .closed, message: "subscriber for Redis at \(url.endpoint) was closed")
  }
}
