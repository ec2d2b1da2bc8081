import NIOCore

#if canImport(Glibc)
  import Glibc
#endif

/// A Redis connection on a plain blocking TCP socket, for a caller on its own thread (the
/// supervisor's loop, a producer): each round trip is one `send` and one `recv` on the calling
/// thread, with no hop through an event loop. Plain TCP only; `rediss://` goes through
/// ``RedisConnection`` and NIOSSL. Not thread-safe: ``RedisClient`` serialises its use.
final class BlockingRedisConnection {
  private let socket: Int32
  private let url: RedisURL
  private let options: RedisConnectionOptions
  private var input = ByteBufferAllocator().buffer(capacity: 16_384)
  private var output = ByteBufferAllocator().buffer(capacity: 4_096)

  /// Connects, authenticates and selects the database; throws a ``RedisError`` naming the
  /// endpoint.
  init(url: RedisURL, options: RedisConnectionOptions) throws(RedisError) {
    self.url = url
    self.options = options
    self.socket = try Self.openSocket(url: url, timeout: options.connectTimeout)
    do {
      try handshake()
    } catch {
      close(socket)
      throw error
    }
  }

  deinit { close(socket) }

  /// Shuts the socket down, so that a round trip blocked on another thread fails at once. The
  /// one method that may be called from another thread; the connection is unusable after it.
  func interrupt() {
    shutdown(socket, Int32(SHUT_RDWR))
  }

  /// Sends `commands` in one write and reads one reply per command, in order (error replies in
  /// place). Any transport or protocol failure leaves the connection unusable: drop it.
  func pipeline(_ commands: [[any RESPArgument]], timeout: TimeAmount? = nil) throws(RedisError)
    -> [RESPValue]
  {
    output.clear()
    for command in commands { output.writeRESPCommand(command) }
    try writeAll()
    var replies: [RESPValue] = []
    replies.reserveCapacity(commands.count)
    let deadline = NIODeadline.now() + (timeout ?? options.commandTimeout)
    while replies.count < commands.count {
      let parsed: RESPValue?
      do {
        parsed = try options.parser.parse(&input)
      } catch {
        throw RedisError(
          code: .protocolError, message: "Redis at \(url.endpoint) sent a malformed reply: \(error)"
        )
      }
      if let parsed {
        replies.append(parsed)
      } else {
        try readMore(until: deadline)
      }
    }
    return replies
  }

  private func handshake() throws(RedisError) {
    let handshake = RedisHandshake(url: url, options: options)
    try handshake.check(try pipeline(handshake.commands, timeout: options.connectTimeout))
  }

  private func writeAll() throws(RedisError) {
    var failure: Int32 = 0
    output.withUnsafeReadableBytes { bytes in
      var offset = 0
      while offset < bytes.count {
        let sent = send(
          socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
        if sent < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        offset += sent
      }
    }
    if failure != 0 {
      throw RedisError(
        code: .closed,
        message:
          "connection to Redis at \(url.endpoint) failed: \(RedisError.errnoText(failure))")
    }
  }

  private func readMore(until deadline: NIODeadline) throws(RedisError) {
    while true {
      let remaining = (deadline - .now()).nanoseconds / 1_000_000
      guard remaining > 0 else {
        throw RedisError(
          code: .timeout, message: "Redis at \(url.endpoint) did not answer in time")
      }
      var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
      let ready = poll(&descriptor, 1, Int32(clamping: remaining))
      if ready < 0 && errno == EINTR { continue }
      if ready == 0 { continue }
      reclaimConsumedInput()
      input.reserveCapacity(minimumWritableBytes: 16_384)
      let count = input.withUnsafeMutableWritableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
      if count > 0 {
        input.moveWriterIndex(forwardBy: count)
        return
      }
      if count < 0 && errno == EINTR { continue }
      let reason = count == 0 ? "closed by the server" : RedisError.errnoText(errno)
      throw RedisError(
        code: .closed, message: "connection to Redis at \(url.endpoint) failed: \(reason)")
    }
  }

  /// Drops the bytes of replies already parsed, so the input buffer holds at most one
  /// unfinished reply plus one read: without this every reply ever read stays in the buffer
  /// (a leak of about one reply per task, and a trap once the buffer passes 4 GiB).
  private func reclaimConsumedInput() {
    if input.readableBytes == 0 {
      input.clear()
    } else if input.readerIndex > 0 {
      input.discardReadBytes()
    }
  }

  /// Connects `fd` within `timeout` (non-blocking connect, then back to blocking); returns 0
  /// or an errno value.
  private static func connect(_ fd: Int32, address: addrinfo, timeout: TimeAmount) -> Int32 {
    let flags = fcntl(fd, F_GETFL)
    _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    defer { _ = fcntl(fd, F_SETFL, flags) }
    if Glibc.connect(fd, address.ai_addr, address.ai_addrlen) == 0 { return 0 }
    guard errno == EINPROGRESS else { return errno }
    var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
    let milliseconds = Int32(clamping: timeout.nanoseconds / 1_000_000)
    guard poll(&descriptor, 1, milliseconds) == 1 else { return ETIMEDOUT }
    var error: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
    return error
  }

  private static func openSocket(url: RedisURL, timeout: TimeAmount) throws(RedisError) -> Int32 {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var results: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(url.host, String(url.port), &hints, &results)
    guard status == 0, let first = results else {
      throw RedisError(
        code: .connectionFailed,
        message:
          "cannot connect to Redis at \(url.endpoint): \(String(cString: gai_strerror(status)))")
    }
    defer { freeaddrinfo(results) }
    var lastError: Int32 = ECONNREFUSED
    var entry: UnsafeMutablePointer<addrinfo>? = first
    while let address = entry {
      entry = address.pointee.ai_next
      let fd = Glibc.socket(
        address.pointee.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
      guard fd >= 0 else {
        lastError = errno
        continue
      }
      let error = connect(fd, address: address.pointee, timeout: timeout)
      if error == 0 {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        return fd
      }
      lastError = error
      close(fd)
    }
    throw RedisError(
      code: .connectionFailed,
      message:
        "cannot connect to Redis at \(url.endpoint): \(RedisError.errnoText(lastError))"
    )
  }
}
