import CeleriacCore
import Foundation
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// Newline-delimited JSON messages over a stream socket.
///
/// The supervisor reads without blocking (it polls many children); a child reads blocking.
/// Writes go whole, with `MSG_NOSIGNAL` so a dead peer is an error, not a SIGPIPE. Both
/// directions are bounded: a line longer than ``maximumLineBytes`` is a protocol error (the
/// buffer never grows past it), and a write the peer does not take within ``sendTimeout`` (a
/// stopped child with a full socket buffer) fails instead of holding the caller.
public final class LineChannel: @unchecked Sendable {
  /// The longest line accepted by default: 64 MiB, room for a large result or argument list.
  public static let defaultMaximumLineBytes = 64 * 1024 * 1024
  /// How long a write may wait for the peer to read, by default.
  public static let defaultSendTimeout: Duration = .seconds(5)
  /// The most bytes one `recv` asks for.
  static let readSize = 65_536

  /// The socket descriptor.
  public let fd: Int32
  /// The longest line read or written.
  public let maximumLineBytes: Int
  /// How long one write may wait for the peer.
  public let sendTimeout: Duration
  private var buffer: [UInt8] = []
  /// Bytes at the front of `buffer` already returned as lines.
  private var consumed = 0
  /// Bytes after `consumed` known to hold no newline.
  private var scanned = 0
  private let writeLock = NSLock()

  /// Wraps a connected stream socket; the channel closes it in ``close()``.
  public init(
    fd: Int32, maximumLineBytes: Int = LineChannel.defaultMaximumLineBytes,
    sendTimeout: Duration = LineChannel.defaultSendTimeout
  ) {
    self.fd = fd
    self.maximumLineBytes = maximumLineBytes
    self.sendTimeout = sendTimeout
  }

  /// The encoded line of `message` (JSON and a newline), or a protocol error when it is longer
  /// than ``maximumLineBytes``.
  public func encodeLine<Message: Encodable>(_ message: Message) throws -> Data {
    var data: Data
    if let fast = (message as? any LineEncodable)?.fastLine {
      data = Data(fast.utf8)
    } else {
      data = try JSONCoding.encode(message)
    }
    data.append(UInt8(ascii: "\n"))
    guard data.count <= maximumLineBytes else {
      throw CeleriacError(
        .protocolError,
        "a message of \(data.count) bytes is over the channel's limit of \(maximumLineBytes) bytes")
    }
    return data
  }

  /// Sends one message; throws when the peer is gone.
  public func send<Message: Encodable>(_ message: Message) throws {
    // JSONCoding, like the brokers: a message forwarded as stored decodes the same way.
    try sendLine(try encodeLine(message))
  }

  /// Sends one complete line (JSON ending in a newline) as it is.
  public func sendLine<Bytes: ContiguousBytes>(_ data: Bytes) throws {
    writeLock.lock()
    defer { writeLock.unlock() }
    let deadline = ContinuousClock.now + sendTimeout
    try data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let sent = Glibc.send(
          fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        if sent < 0 {
          if errno == EINTR { continue }
          if errno == EAGAIN || errno == EWOULDBLOCK {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
              throw CeleriacError(
                .protocolError,
                "peer did not read for \(sendTimeout) (\(raw.count - offset) bytes unsent)")
            }
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&pollfd, 1, Int32(clamping: min(left.wholeMilliseconds + 1, 100)))
            continue
          }
          throw CeleriacError(
            .protocolError, "write to peer failed: \(Errno(rawValue: errno))")
        }
        offset += sent
      }
    }
  }

  /// Reads what is available without blocking and returns every complete message; `nil`
  /// means the peer closed the socket (messages before the close are returned first).
  public func receiveAvailable<Message: Decodable>(_ type: Message.Type) throws -> [Message]? {
    var closed = false
    while true {
      let count = readOnce(flags: Int32(MSG_DONTWAIT))
      if count > 0 {
        if count < Self.readSize { break }
        continue
      }
      if count == 0 {
        closed = true
        break
      }
      if errno == EINTR { continue }
      if errno == EAGAIN || errno == EWOULDBLOCK { break }
      closed = true
      break
    }
    let messages = try drainLines(type)
    if closed && messages.isEmpty { return nil }
    return messages
  }

  /// Blocks until one message arrives; `nil` when the peer closed the socket.
  public func receive<Message: Decodable>(_ type: Message.Type) throws -> Message? {
    while true {
      if let message = try nextLine(type) { return message }
      let count = readOnce(flags: 0)
      if count == 0 { return nil }
      if count < 0 {
        if errno == EINTR { continue }
        return nil
      }
    }
  }

  /// One `recv` of up to ``readSize`` bytes onto the end of the buffer; its result (`errno`
  /// is recv's when negative). The scratch space is not zero-filled first: filling 64 KiB
  /// for every read was a tenth of the supervisor's instructions in a drain.
  private func readOnce(flags: Int32) -> Int {
    var count = 0
    var failure: Int32 = 0
    let chunk = [UInt8](unsafeUninitializedCapacity: Self.readSize) { bytes, initialized in
      count = recv(fd, bytes.baseAddress, bytes.count, flags)
      failure = errno
      initialized = max(count, 0)
    }
    if count > 0 { buffer.append(contentsOf: chunk) }
    errno = failure
    return count
  }

  /// Closes the socket.
  public func close() {
    _ = Glibc.close(fd)
  }

  private func drainLines<Message: Decodable>(_ type: Message.Type) throws -> [Message] {
    var messages: [Message] = []
    while let message = try nextLine(type) { messages.append(message) }
    return messages
  }

  private func nextLine<Message: Decodable>(_ type: Message.Type) throws -> Message? {
    guard let newline = buffer[(consumed + scanned)...].firstIndex(of: UInt8(ascii: "\n")) else {
      scanned = buffer.count - consumed
      if consumed > 0 {
        buffer.removeFirst(consumed)
        consumed = 0
      }
      guard buffer.count <= maximumLineBytes else {
        throw CeleriacError(
          .protocolError,
          "peer sent a line longer than \(maximumLineBytes) bytes without a newline")
      }
      return nil
    }
    let start = consumed
    consumed = newline + 1
    scanned = 0
    // The buffer is emptied only once the line has been read from it.
    defer {
      if consumed == buffer.count {
        buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
        consumed = 0
      }
    }
    guard newline - start < maximumLineBytes else {
      throw CeleriacError(
        .protocolError,
        "peer sent a line of \(newline - start) bytes, over \(maximumLineBytes)")
    }
    // Read in place: no copy of the line unless it goes to `Codable`.
    if let fast = type as? any LineDecodable.Type,
      let message = buffer.withUnsafeBufferPointer({
        fast.decodeFast(UnsafeBufferPointer(rebasing: $0[start..<newline]))
      }) as? Message
    {
      return message
    }
    let line = Data(buffer[start..<newline])
    do {
      return try JSONCoding.decode(type, from: line)
    } catch {
      throw CeleriacError(
        .protocolError,
        "malformed message from peer: \(String(decoding: line.prefix(200), as: UTF8.self))")
    }
  }
}
