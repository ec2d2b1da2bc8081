import CeleriacCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Newline-delimited JSON messages over a stream socket.
///
/// The supervisor reads without blocking (it polls many children); a child reads blocking.
/// Writes go whole, with `MSG_NOSIGNAL` so a dead peer is an error, not a SIGPIPE.
public final class LineChannel: @unchecked Sendable {
  /// The socket descriptor.
  public let fd: Int32
  private var buffer: [UInt8] = []
  private var scanned = 0
  private let writeLock = NSLock()

  /// Wraps a connected stream socket; the channel closes it in ``close()``.
  public init(fd: Int32) {
    self.fd = fd
  }

  /// Sends one message; throws when the peer is gone.
  public func send<Message: Encodable>(_ message: Message) throws {
    // JSONCoding, like the brokers: a message forwarded as stored decodes the same way.
    var data = try JSONCoding.encode(message)
    data.append(UInt8(ascii: "\n"))
    try sendLine(data)
  }

  /// Sends one complete line (JSON ending in a newline) as it is.
  public func sendLine<Bytes: ContiguousBytes>(_ data: Bytes) throws {
    writeLock.lock()
    defer { writeLock.unlock() }
    try data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let sent = Glibc.send(
          fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
        if sent < 0 {
          if errno == EINTR { continue }
          if errno == EAGAIN {
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&pollfd, 1, 100)
            continue
          }
          throw CeleriacError(
            .protocolError, "write to peer failed: \(String(cString: strerror(errno)))")
        }
        offset += sent
      }
    }
  }

  /// Reads what is available without blocking and returns every complete message; `nil`
  /// means the peer closed the socket (messages before the close are returned first).
  public func receiveAvailable<Message: Decodable>(_ type: Message.Type) throws -> [Message]? {
    var closed = false
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = chunk.withUnsafeMutableBytes {
        recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
      }
      if count > 0 {
        buffer.append(contentsOf: chunk[0..<count])
        if count < chunk.count { break }
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
      var chunk = [UInt8](repeating: 0, count: 65_536)
      let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if count == 0 { return nil }
      if count < 0 {
        if errno == EINTR { continue }
        return nil
      }
      buffer.append(contentsOf: chunk[0..<count])
    }
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
    guard let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) else {
      scanned = buffer.count
      return nil
    }
    let line = Data(buffer[0..<newline])
    buffer.removeSubrange(0...newline)
    scanned = 0
    do {
      return try JSONCoding.decode(type, from: line)
    } catch {
      throw CeleriacError(
        .protocolError,
        "malformed message from peer: \(String(decoding: line.prefix(200), as: UTF8.self))")
    }
  }
}
