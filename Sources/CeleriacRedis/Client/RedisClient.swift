import CeleriacCore
import NIOCore
import NIOPosix
import Synchronization

/// A Redis client with one connection, made lazily, on one event loop: a thread of its own, or
/// a loop it is given (a server's, shared with its other work).
///
/// When the connection drops, the commands in flight fail with `.closed` and the next command
/// reconnects. If that fails, commands fail fast with the connection error until the backoff
/// delay has passed, then one more attempt is made: the caller decides whether to retry.
/// Call ``shutdown()`` or ``shutdownSync()`` when done, to close the connection and stop the
/// client's own event loop thread (a loop it was given is left running).
public final class RedisClient: RedisCommandSending, Sendable {
  private enum State {
    case disconnected(failures: Int, retryAt: NIODeadline?, lastError: RedisError?)
    case connecting(EventLoopFuture<RedisConnection>, failures: Int)
    case connected(RedisConnection)
    case shutDown
  }

  /// The URL connected to.
  public let url: RedisURL
  /// The options of every connection.
  public let options: RedisConnectionOptions
  /// The wait after a failed connection attempt before the next one: 100 ms doubling up to
  /// 2 s, each between half and all of that (equal jitter). A worker finds a Redis that came
  /// back within 2 s, and one attempt per client every 1–2 s costs a recovering server little.
  public static let defaultReconnectBackoff = Backoff(
    minimum: .milliseconds(100), maximum: .seconds(2), jitter: .equal)

  /// The reconnection policy: the wait after `n` failed attempts in a row is its delay of
  /// attempt `n`.
  public let backoff: Backoff
  /// The loop every connection of the client lives on.
  private let loop: any EventLoop
  /// The one-thread group the client made for itself, stopped at shutdown; `nil` when the
  /// loop was given (its owner stops it).
  private let ownedGroup: MultiThreadedEventLoopGroup?
  private let state = Mutex<State>(.disconnected(failures: 0, retryAt: nil, lastError: nil))
  /// Set when ``shutdown()`` begins. From then on the client's own event loop is stopping or
  /// stopped, and a future of that loop may never complete (a wait for it would hang), so every
  /// method that waits for one checks this first (on a given loop it refuses calls the same way).
  private let isShutDown = Atomic(false)

  /// The plain-socket connection that ``sendSync(_:timeout:)`` and
  /// ``pipelineSync(_:timeout:)`` use for `redis://` URLs, with its own reconnect backoff.
  private struct BlockingState {
    var connection: BlockingRedisConnection?
    var failures = 0
    var retryAt: NIODeadline?
    var lastError: RedisError?
  }
  private let blocking = Mutex(BlockingState())

  /// The client's event loop.
  public var eventLoop: any EventLoop { self.loop }

  /// Creates a client; no connection is made until the first command (or ``connect()``).
  ///
  /// - Parameter eventLoop: the loop to connect on, for example one of a server's loops
  ///   (`MultiThreadedEventLoopGroup.singleton.any()`); the client then starts no thread.
  ///   `nil` (the default): a thread of the client's own.
  public init(
    url: RedisURL,
    options: RedisConnectionOptions = RedisConnectionOptions(),
    backoff: Backoff = RedisClient.defaultReconnectBackoff,
    eventLoop: (any EventLoop)? = nil
  ) {
    self.url = url
    self.options = options
    self.backoff = backoff
    if let eventLoop {
      self.loop = eventLoop
      self.ownedGroup = nil
    } else {
      let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
      self.loop = group.next()
      self.ownedGroup = group
    }
  }

  /// Creates a client from a URL string; throws `.invalidURL` if it cannot be parsed.
  public convenience init(_ url: String, options: RedisConnectionOptions = RedisConnectionOptions())
    throws
  {
    self.init(url: try RedisURL(url), options: options)
  }

  // MARK: - Connection management

  /// The wait after `failures` failed connection attempts in a row, for NIO's deadlines.
  private func reconnectDelay(afterFailures failures: Int) -> TimeAmount {
    .nanoseconds(self.backoff.delay(attempt: failures).wholeNanoseconds)
  }

  /// The open connection, connecting first if needed (see the type's documentation).
  public func connectionFuture() -> EventLoopFuture<RedisConnection> {
    enum Action {
      case use(EventLoopFuture<RedisConnection>)
      case connect(EventLoopPromise<RedisConnection>)
      case fail(RedisError)
    }
    let eventLoop = self.loop
    let action = self.state.withLock { state -> Action in
      switch state {
      case .connected(let connection) where connection.isConnected:
        return .use(eventLoop.makeSucceededFuture(connection))
      case .connecting(let future, _):
        return .use(future)
      case .shutDown:
        return .fail(
          RedisError(
            code: .closed, message: "Redis client for \(self.url.endpoint) was shut down"))
      case .disconnected(_, let retryAt?, let lastError?) where retryAt > .now():
        let wait = (retryAt - .now()).nanoseconds / 1_000_000
        var error = lastError
        error.message += " (next attempt in \(wait) ms)"
        return .fail(error)
      case .connected, .disconnected:
        var failures = 0
        if case .disconnected(let count, _, _) = state { failures = count }
        let promise = eventLoop.makePromise(of: RedisConnection.self)
        state = .connecting(promise.futureResult, failures: failures)
        return .connect(promise)
      }
    }
    switch action {
    case .use(let future):
      return future
    case .fail(let error):
      return eventLoop.makeFailedFuture(error)
    case .connect(let promise):
      promise.futureResult.whenComplete { result in
        let orphan = self.state.withLock { state -> RedisConnection? in
          guard case .connecting(_, let previousFailures) = state else {
            return try? result.get()  // Shut down meanwhile: close what was opened.
          }
          switch result {
          case .success(let connection):
            state = .connected(connection)
          case .failure(let error):
            let failures = previousFailures + 1
            state = .disconnected(
              failures: failures,
              retryAt: .now() + self.reconnectDelay(afterFailures: failures),
              lastError: RedisError.wrap(error, endpoint: self.url.endpoint, connecting: true))
          }
          return nil
        }
        orphan?.channel.close(promise: nil)
      }
      RedisConnection.connect(to: self.url, options: self.options, on: eventLoop)
        .cascade(to: promise)
      return promise.futureResult
    }
  }

  /// Connects now (if not connected), to check the URL and credentials early.
  public func connect() async throws {
    try self.checkOpen()
    _ = try await self.connectionFuture().get()
  }

  /// Throws `.closed` once ``shutdown()`` or ``shutdownSync()`` has begun.
  private func checkOpen() throws(RedisError) {
    guard self.isShutDown.load(ordering: .acquiring) else { return }
    throw RedisError(code: .closed, message: "Redis client for \(self.url.endpoint) was shut down")
  }

  /// Connects now (if not connected), blocking the calling thread.
  public func connectSync() throws {
    try self.checkOpen()
    _ = try self.connectionFuture().wait()
  }

  /// The current connection if it is open, without connecting.
  private var openConnection: RedisConnection? {
    self.state.withLock { state in
      if case .connected(let connection) = state, connection.isConnected { return connection }
      return nil
    }
  }

  // MARK: - Commands

  /// Sends one command and suspends until its reply; error replies throw `.serverError`, and
  /// a client that was shut down throws `.closed` at once.
  public func send(_ command: [any RESPArgument], timeout: TimeAmount? = nil) async throws
    -> RESPValue
  {
    try self.checkOpen()
    return try await self.sendFuture(command, timeout: timeout).get()
  }

  /// Sends commands in one pipeline and suspends until all replies are in (errors included);
  /// a client that was shut down throws `.closed` at once.
  public func pipeline(_ commands: [[any RESPArgument]], timeout: TimeAmount? = nil) async throws
    -> [RESPValue]
  {
    try self.checkOpen()
    return try await self.pipelineFuture(commands, timeout: timeout).get()
  }

  /// Sends one command (see ``RedisConnection/sendFuture(_:timeout:)``).
  public func sendFuture(
    _ command: [any RESPArgument],
    timeout: TimeAmount? = nil
  ) -> EventLoopFuture<RESPValue> {
    if let connection = self.openConnection {
      return connection.sendFuture(command, timeout: timeout)
    }
    return self.connectionFuture().flatMap { $0.sendFuture(command, timeout: timeout) }
  }

  /// Sends commands in one pipeline (see ``RedisConnection/pipelineFuture(_:timeout:)``).
  public func pipelineFuture(
    _ commands: [[any RESPArgument]],
    timeout: TimeAmount? = nil
  ) -> EventLoopFuture<[RESPValue]> {
    if let connection = self.openConnection {
      return connection.pipelineFuture(commands, timeout: timeout)
    }
    return self.connectionFuture().flatMap { $0.pipelineFuture(commands, timeout: timeout) }
  }

  /// Sends one command and blocks the calling (non-event-loop) thread until its reply; throws
  /// `.serverError` for an error reply. For `redis://` the round trip runs on the calling
  /// thread over a plain socket (no event-loop hop); `rediss://` goes through NIOSSL.
  public func sendSync(
    _ command: [any RESPArgument],
    timeout: TimeAmount? = nil
  ) throws -> RESPValue {
    try self.checkOpen()
    guard self.url.tls == nil else { return try self.sendFuture(command, timeout: timeout).wait() }
    return try self.blockingPipeline([command], timeout: timeout)[0].checked()
  }

  /// Sends commands in one pipeline and blocks the calling (non-event-loop) thread; error
  /// replies come back in place.
  public func pipelineSync(
    _ commands: [[any RESPArgument]],
    timeout: TimeAmount? = nil
  ) throws -> [RESPValue] {
    try self.checkOpen()
    guard self.url.tls == nil else {
      return try self.pipelineFuture(commands, timeout: timeout).wait()
    }
    return try self.blockingPipeline(commands, timeout: timeout)
  }

  /// Runs a pipeline on the plain-socket connection, connecting (with backoff) when needed; a
  /// failed round trip drops the connection so that the next call reconnects.
  private func blockingPipeline(_ commands: [[any RESPArgument]], timeout: TimeAmount?) throws
    -> [RESPValue]
  {
    // Both paths share one backoff: a failure seen by either makes the other fail fast too.
    var pending: (NIODeadline, RedisError)?
    switch self.state.withLock({ $0 }) {
    case .shutDown:
      throw RedisError(
        code: .closed, message: "Redis client for \(self.url.endpoint) was shut down")
    case .disconnected(_, let retryAt?, let lastError?):
      pending = (retryAt, lastError)
    default:
      break
    }
    return try self.blocking.withLock { state throws(RedisError) -> [RESPValue] in
      if state.connection == nil {
        if let (retryAt, lastError) = pending, state.retryAt == nil || state.retryAt! < retryAt {
          state.retryAt = retryAt
          state.lastError = lastError
        }
        if let retryAt = state.retryAt, retryAt > .now(), var error = state.lastError {
          error.message += " (next attempt in \((retryAt - .now()).nanoseconds / 1_000_000) ms)"
          throw error
        }
        do throws(RedisError) {
          state.connection = try BlockingRedisConnection(url: self.url, options: self.options)
          state.failures = 0
          state.retryAt = nil
        } catch {
          state.failures += 1
          state.retryAt = .now() + self.reconnectDelay(afterFailures: state.failures)
          state.lastError = error
          throw error
        }
      }
      do throws(RedisError) {
        return try state.connection!.pipeline(commands, timeout: timeout)
      } catch {
        state.connection = nil
        throw error
      }
    }
  }

  // MARK: - Pub/sub

  /// Subscribes a new, dedicated connection to `channel` (on the client's event loop); with
  /// `pattern`, to every channel matching the glob.
  public func subscribeFuture(to channel: String, pattern: Bool = false) -> EventLoopFuture<
    RedisSubscription
  > {
    RedisSubscription.subscribe(
      to: channel, pattern: pattern, url: self.url, options: self.options, on: self.loop)
  }

  /// Subscribes a new, dedicated connection to `channel`, suspending until subscribed.
  public func subscribe(to channel: String) async throws -> RedisSubscription {
    try self.checkOpen()
    return try await self.subscribeFuture(to: channel).get()
  }

  /// Subscribes a new, dedicated connection to `channel`, blocking until subscribed.
  public func subscribeSync(to channel: String, pattern: Bool = false) throws -> RedisSubscription {
    try self.checkOpen()
    return try self.subscribeFuture(to: channel, pattern: pattern).wait()
  }

  // MARK: - Shutdown

  /// Closes the connection and stops the client's own event loop thread; later commands fail
  /// with `.closed`.
  public func shutdown() async {
    let connection = self.markShutDown()
    await connection?.close()
    try? await self.ownedGroup?.shutdownGracefully()
  }

  /// Closes the connection and stops the client's own event loop thread, blocking until done;
  /// must then not be called on that thread. On a loop the client was given, it only starts
  /// the close (a wait there could hold up the very loop that has to do it).
  public func shutdownSync() {
    let connection = self.markShutDown()
    guard let group = self.ownedGroup else {
      connection?.closeWithoutWaiting()
      return
    }
    connection?.closeSync()
    try? group.syncShutdownGracefully()
  }

  /// Whether ``shutdownSync()`` may be called from the current thread: anywhere when the loop
  /// was given, else anywhere but the client's own thread.
  public var canShutDownSynchronously: Bool {
    self.ownedGroup == nil || !self.loop.inEventLoop
  }

  private func markShutDown() -> RedisConnection? {
    self.isShutDown.store(true, ordering: .releasing)
    self.blocking.withLock { $0.connection = nil }
    return self.state.withLock { state in
      defer { state = .shutDown }
      if case .connected(let connection) = state { return connection }
      return nil
    }
  }
}
