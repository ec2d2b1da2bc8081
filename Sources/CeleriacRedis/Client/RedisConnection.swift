import NIOCore
import NIOPosix
import NIOSSL

/// Settings of a connection, apart from the URL.
public struct RedisConnectionOptions: Sendable {
  /// How long to wait for TCP connect (and, with TLS, the handshake, AUTH and SELECT).
  public var connectTimeout: TimeAmount
  /// How long to wait for a reply before the command fails with `.timeout` and the connection
  /// is closed. Blocking commands (`BRPOP key 5`) need a longer timeout than their own.
  public var commandTimeout: TimeAmount
  /// The parser limits applied to replies.
  public var parser: RESPParser
  /// A name set with `CLIENT SETNAME` on connect, shown by `CLIENT LIST`.
  public var clientName: String?

  /// Creates options; defaults: connect timeout 5 s, command timeout 30 s.
  public init(
    connectTimeout: TimeAmount = .seconds(5),
    commandTimeout: TimeAmount = .seconds(30),
    parser: RESPParser = RESPParser(),
    clientName: String? = nil
  ) {
    self.connectTimeout = connectTimeout
    self.commandTimeout = commandTimeout
    self.parser = parser
    self.clientName = clientName
  }
}

/// One connection to Redis on a NIO event loop, with pipelining.
///
/// Every method may be called from any thread. The `…Sync` methods block the calling thread
/// until the reply arrives; they must not be called on an event loop thread. The async methods
/// suspend instead. Commands are arrays of ``RESPArgument``s: `["SET", key, value]`.
public final class RedisConnection: RedisCommandSending, Sendable {
  /// The URL this connection was made to.
  public let url: RedisURL
  /// The options this connection was made with.
  public let options: RedisConnectionOptions
  /// The event loop that owns the connection.
  public var eventLoop: any EventLoop { self.channel.eventLoop }

  let channel: any Channel
  let handler: NIOLoopBound<RedisCommandHandler>

  private init(
    url: RedisURL, options: RedisConnectionOptions, channel: any Channel,
    handler: RedisCommandHandler
  ) {
    self.url = url
    self.options = options
    self.channel = channel
    self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
  }

  /// Whether the connection is still open.
  public var isConnected: Bool { self.channel.isActive }

  /// Completes when the connection has closed, for whatever reason.
  public var closeFuture: EventLoopFuture<Void> { self.channel.closeFuture }

  // MARK: - Connecting

  /// Connects, authenticates (`AUTH`) and selects the database (`SELECT`).
  ///
  /// The future fails with a ``RedisError``: `.connectionFailed` (e.g. "cannot connect to Redis
  /// at 127.0.0.1:6390: connection refused"), `.authenticationFailed`, `.tlsConfiguration`,
  /// `.serverError` or `.timeout`.
  public static func connect(
    to url: RedisURL,
    options: RedisConnectionOptions = RedisConnectionOptions(),
    on eventLoop: any EventLoop
  ) -> EventLoopFuture<RedisConnection> {
    let endpoint = url.endpoint
    let sslContext: NIOSSLContext?
    do {
      sslContext = try url.tls.map { try Self.makeSSLContext($0, endpoint: endpoint) }
    } catch {
      return eventLoop.makeFailedFuture(error)
    }
    let serverName = Self.isIPAddress(url.host) ? nil : url.host
    let parser = options.parser
    let bootstrap = ClientBootstrap(group: eventLoop)
      .connectTimeout(options.connectTimeout)
      .channelOption(.socketOption(.tcp_nodelay), value: 1)
      .channelOption(.socketOption(.so_keepalive), value: 1)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          let pipeline = channel.pipeline.syncOperations
          if let sslContext {
            try pipeline.addHandler(
              NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
          }
          try pipeline.addHandler(ByteToMessageHandler(RESPDecoder(parser: parser)))
          try pipeline.addHandler(RedisCommandHandler(endpoint: endpoint))
        }
      }
    return bootstrap.connect(host: url.host, port: url.port)
      .flatMapErrorThrowing { error in
        throw RedisError.wrap(error, endpoint: endpoint, connecting: true)
      }
      .flatMapThrowing { channel in
        let handler = try channel.pipeline.syncOperations.handler(type: RedisCommandHandler.self)
        return RedisConnection(url: url, options: options, channel: channel, handler: handler)
      }
      .flatMap { (connection: RedisConnection) -> EventLoopFuture<RedisConnection> in
        connection.handshake()
          .flatMapErrorThrowing { (error: any Error) -> Void in
            connection.channel.close(promise: nil)
            throw error
          }
          .map { () -> RedisConnection in connection }
      }
  }

  /// Connects as ``connect(to:options:on:)-(_,_,_)`` does, suspending until done.
  public static func connect(
    to url: RedisURL,
    options: RedisConnectionOptions = RedisConnectionOptions(),
    on eventLoop: any EventLoop
  ) async throws -> RedisConnection {
    try await Self.connect(to: url, options: options, on: eventLoop).get()
  }

  /// Connects as ``connect(to:options:on:)-(_,_,_)`` does, blocking the calling thread.
  public static func connectSync(
    to url: RedisURL,
    options: RedisConnectionOptions = RedisConnectionOptions(),
    on eventLoop: any EventLoop
  ) throws -> RedisConnection {
    try Self.connect(to: url, options: options, on: eventLoop).wait()
  }

  /// Sends the ``RedisHandshake`` in one pipeline.
  private func handshake() -> EventLoopFuture<Void> {
    let handshake = RedisHandshake(url: self.url, options: self.options)
    let endpoint = self.url.endpoint
    return self.pipeline(handshake.commands, timeout: self.options.connectTimeout)
      .flatMapErrorThrowing { error in
        var redisError = RedisError.wrap(error, endpoint: endpoint, connecting: true)
        if redisError.code == .connectionFailed, let reason = redisError.tlsReason {
          redisError.message = "cannot connect to Redis at \(endpoint): \(reason)"
        } else if redisError.code == .closed || redisError.code == .timeout {
          redisError.message = "cannot connect to Redis at \(endpoint): \(redisError.message)"
        }
        throw redisError
      }
      .flatMapThrowing { replies in try handshake.check(replies) }
  }

  // MARK: - Commands

  /// Sends one command; the future fails with `.serverError` if Redis answers with an error.
  public func sendFuture(
    _ command: [any RESPArgument],
    timeout: TimeAmount? = nil
  ) -> EventLoopFuture<RESPValue> {
    var bytes = self.channel.allocator.buffer(capacity: 32 + 16 * command.count)
    bytes.writeRESPCommand(command)
    let promise = self.channel.eventLoop.makePromise(of: RESPValue.self)
    self.submit(
      RedisRequest(
        bytes: bytes, replies: 1, timeout: timeout ?? self.options.commandTimeout,
        promise: .single(promise)))
    return promise.futureResult
  }

  /// Sends several commands in one write and one flush; the future holds one reply per command
  /// in order, error replies included as ``RESPValue/error(_:)`` (see ``RESPValue/checked()``).
  public func pipelineFuture(
    _ commands: [[any RESPArgument]],
    timeout: TimeAmount? = nil
  ) -> EventLoopFuture<[RESPValue]> {
    if commands.isEmpty {
      return self.channel.eventLoop.makeSucceededFuture([])
    }
    var bytes = self.channel.allocator.buffer(capacity: 64 * commands.count)
    for command in commands {
      bytes.writeRESPCommand(command)
    }
    let promise = self.channel.eventLoop.makePromise(of: [RESPValue].self)
    self.submit(
      RedisRequest(
        bytes: bytes, replies: commands.count, timeout: timeout ?? self.options.commandTimeout,
        promise: .batch(promise)))
    return promise.futureResult
  }

  /// Sends one command and blocks the calling (non-event-loop) thread until its reply.
  public func sendSync(
    _ command: [any RESPArgument],
    timeout: TimeAmount? = nil
  ) throws -> RESPValue {
    try self.sendFuture(command, timeout: timeout).wait()
  }

  /// Sends commands as one pipeline and blocks the calling (non-event-loop) thread until all
  /// replies are in.
  public func pipelineSync(
    _ commands: [[any RESPArgument]],
    timeout: TimeAmount? = nil
  ) throws -> [RESPValue] {
    try self.pipelineFuture(commands, timeout: timeout).wait()
  }

  /// Closes the connection; commands in flight fail with `.closed`.
  public func close() async {
    try? await self.closeAndWait().get()
  }

  /// Closes the connection and blocks until it is closed.
  public func closeSync() {
    try? self.closeAndWait().wait()
  }

  /// Starts closing the connection and returns at once.
  public func closeWithoutWaiting() {
    self.channel.close(promise: nil)
  }

  private func closeAndWait() -> EventLoopFuture<Void> {
    self.closeWithoutWaiting()
    return self.channel.closeFuture
  }

  // MARK: - Internals

  private func pipeline(
    _ commands: [[any RESPArgument]],
    timeout: TimeAmount
  ) -> EventLoopFuture<[RESPValue]> {
    self.pipelineFuture(commands, timeout: timeout)
  }

  /// Hands a request to the handler on the event loop.
  private func submit(_ request: RedisRequest) {
    let eventLoop = self.channel.eventLoop
    if eventLoop.inEventLoop {
      self.handler.value.enqueue(request)
    } else {
      let handler = self.handler
      eventLoop.execute { handler.value.enqueue(request) }
    }
  }

  private static func makeSSLContext(
    _ options: RedisTLSOptions,
    endpoint: String
  ) throws -> NIOSSLContext {
    var configuration = TLSConfiguration.makeClientConfiguration()
    do {
      if let caFile = options.caFile {
        configuration.trustRoots = .file(caFile)
      }
      if let certificateFile = options.certificateFile {
        configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile)
          .map { .certificate($0) }
      }
      if let keyFile = options.privateKeyFile {
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
      }
      if !options.verifyCertificate {
        configuration.certificateVerification = .none
      }
      return try NIOSSLContext(configuration: configuration)
    } catch {
      throw RedisError(
        code: .tlsConfiguration,
        message: "cannot set up TLS for Redis at \(endpoint): \(error)")
    }
  }

  private static func isIPAddress(_ host: String) -> Bool {
    (try? SocketAddress(ipAddress: host, port: 0)) != nil
  }
}
