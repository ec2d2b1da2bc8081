import NIOCore

/// A `ByteToMessageDecoder` that turns the byte stream from Redis into ``RESPValue``s.
public struct RESPDecoder: ByteToMessageDecoder, Sendable {
  /// The decoder's output: one complete RESP value.
  public typealias InboundOut = RESPValue

  /// The parser (and so the limits) used.
  public let parser: RESPParser

  /// Creates a decoder with the given parser limits.
  public init(parser: RESPParser = RESPParser()) {
    self.parser = parser
  }

  /// Emits every complete value at the front of `buffer`.
  public mutating func decode(
    context: ChannelHandlerContext,
    buffer: inout ByteBuffer
  ) throws -> DecodingState {
    guard let value = try self.parser.parse(&buffer) else { return .needMoreData }
    context.fireChannelRead(Self.wrapInboundOut(value))
    return .continue
  }

  /// Emits the values still complete in `buffer` when the connection ends.
  public mutating func decodeLast(
    context: ChannelHandlerContext,
    buffer: inout ByteBuffer,
    seenEOF: Bool
  ) throws -> DecodingState {
    try self.decode(context: context, buffer: &buffer)
  }
}

/// The promise waiting for the reply (or the replies) of one request.
enum RedisReplyPromise: Sendable {
  /// One command: the promise fails with `.serverError` on an error reply.
  case single(EventLoopPromise<RESPValue>)
  /// A pipeline: all replies, error replies included, in order.
  case batch(EventLoopPromise<[RESPValue]>)

  func fail(_ error: RedisError) {
    switch self {
    case .single(let promise): promise.fail(error)
    case .batch(let promise): promise.fail(error)
    }
  }
}

/// One or more encoded commands, written with one flush.
struct RedisRequest: Sendable {
  var bytes: ByteBuffer
  var replies: Int
  var timeout: TimeAmount
  var promise: RedisReplyPromise
}

/// Matches replies to the commands in flight, in FIFO order (pipelining), enforces the command
/// timeout and routes pub/sub messages.
///
/// All of its state is confined to the channel's event loop; other threads reach it through
/// `RedisConnection`, which hops to the event loop.
final class RedisCommandHandler: ChannelInboundHandler {
  typealias InboundIn = RESPValue
  typealias OutboundOut = ByteBuffer

  private struct Pending {
    var replies: Int
    var deadline: NIODeadline
    var promise: RedisReplyPromise
  }

  let endpoint: String
  private var context: ChannelHandlerContext?
  private var pending = CircularBuffer<Pending>(initialCapacity: 16)
  private var batch: [RESPValue] = []
  private var closedError: RedisError?
  private var timer: Scheduled<Void>?
  private var timerDeadline = NIODeadline.uptimeNanoseconds(0)

  /// In pub/sub mode, `message` and `pmessage` arrays go to ``pushHandler``, not to a command.
  var pubSubMode = false
  /// Receives RESP3 push values, and pub/sub messages in pub/sub mode.
  var pushHandler: ((RESPValue) -> Void)?

  init(endpoint: String) {
    self.endpoint = endpoint
  }

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    self.context = nil
    self.close(
      RedisError(code: .closed, message: "connection to Redis at \(self.endpoint) is closed"))
  }

  /// Writes and flushes a request, or fails it at once when the connection is closed.
  func enqueue(_ request: RedisRequest) {
    guard let context, self.closedError == nil else {
      request.promise.fail(
        self.closedError
          ?? RedisError(code: .closed, message: "connection to Redis at \(self.endpoint) is closed")
      )
      return
    }
    let deadline = NIODeadline.now() + request.timeout
    self.pending.append(
      Pending(replies: request.replies, deadline: deadline, promise: request.promise))
    // One timer at a time; re-armed only when this deadline is earlier (a shorter timeout).
    if self.timer == nil || deadline < self.timerDeadline {
      self.timer?.cancel()
      self.scheduleTimer(at: deadline, context: context)
    }
    context.writeAndFlush(Self.wrapOutboundOut(request.bytes), promise: nil)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let value = Self.unwrapInboundIn(data)
    if case .push = value {
      self.pushHandler?(value)
      return
    }
    if self.pubSubMode && (self.pending.isEmpty || Self.isPubSubMessage(value)) {
      self.pushHandler?(value)
      return
    }
    guard let head = self.pending.first else {
      let error = RedisError(
        code: .protocolError,
        message: "Redis at \(self.endpoint) sent a reply nobody asked for: \(value)")
      self.closeChannel(error, context: context)
      return
    }
    switch head.promise {
    case .single(let promise):
      self.pending.removeFirst()
      if case .error(let message) = value {
        promise.fail(RedisError(code: .serverError(message), message: "Redis error: \(message)"))
      } else {
        promise.succeed(value)
      }
    case .batch(let promise):
      self.batch.append(value)
      if self.batch.count == head.replies {
        self.pending.removeFirst()
        let replies = self.batch
        self.batch = []
        promise.succeed(replies)
      }
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    var redisError = RedisError.wrap(error, endpoint: self.endpoint, connecting: false)
    if redisError.code == .protocolError {
      // Parse errors come from the decoder, which does not know the server: name it here.
      redisError.message = redisError.message.replacing(
        "invalid RESP from Redis:", with: "invalid RESP from Redis at \(self.endpoint):",
        maxReplacements: 1)
    }
    self.closeChannel(redisError, context: context)
  }

  func channelInactive(context: ChannelHandlerContext) {
    self.close(
      RedisError(code: .closed, message: "connection to Redis at \(self.endpoint) was closed"))
    context.fireChannelInactive()
  }

  /// Marks the connection closed and fails every request in flight with `error` (the first
  /// error wins).
  private func close(_ error: RedisError) {
    if self.closedError == nil {
      self.closedError = error
    }
    self.timer?.cancel()
    self.timer = nil
    let failed = self.pending
    self.pending.removeAll()
    self.batch = []
    for request in failed {
      request.promise.fail(self.closedError!)
    }
  }

  /// Closes the channel first (so `isActive` is false when the callers wake up), then fails
  /// the requests in flight with `error`.
  private func closeChannel(_ error: RedisError, context: ChannelHandlerContext) {
    if self.closedError == nil {
      self.closedError = error
    }
    context.close(promise: nil)
    self.close(error)
  }

  private func scheduleTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
    self.timerDeadline = deadline
    self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
      self.timerFired()
    }
  }

  /// Checks the requests in flight: if one is past its deadline, all of them fail with
  /// `.timeout` and the connection is closed (later replies could no longer be matched).
  /// Runs at most once per timeout period when commands keep coming.
  private func timerFired() {
    self.timer = nil
    guard let context, let earliest = self.pending.lazy.map(\.deadline).min() else { return }
    if earliest <= .now() {
      self.closeChannel(
        RedisError(
          code: .timeout,
          message: "Redis at \(self.endpoint) did not answer in time; connection closed"),
        context: context)
    } else {
      self.scheduleTimer(at: earliest, context: context)
    }
  }

  private static func isPubSubMessage(_ value: RESPValue) -> Bool {
    guard case .array(let elements?) = value, let kind = elements.first?.bytes else {
      return false
    }
    return kind.readableBytesView.elementsEqual("message".utf8)
      || kind.readableBytesView.elementsEqual("pmessage".utf8)
  }
}
