import Foundation
import Prometheus
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// A tiny HTTP/1.1 responder for `GET /metrics`, on its own thread beside the supervisor's
/// loop: one connection at a time, `Connection: close`, anything else answered 404 or 405.
///
/// A client is read for at most ``maximumRequestBytes`` and ``readTimeout``, so a slow or
/// hostile one can hold the endpoint for that long at most and never touches the supervisor.
/// The sockets are close-on-exec, so children do not inherit them.
final class MetricsServer: @unchecked Sendable {
  /// The largest request head read.
  static let maximumRequestBytes = 8_192
  /// How long a client may take to send its request or read the reply.
  static let readTimeout: Duration = .seconds(5)
  /// How many connections may wait to be accepted.
  static let backlog: Int32 = 16
  /// Prometheus's text exposition format.
  static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  private let listener: Int32
  private let registry: PrometheusCollectorRegistry

  /// The port bound (the one asked for).
  let port: Int

  /// Binds `address:port` and listens; call ``start()`` to serve.
  init(address: String, port: Int, registry: PrometheusCollectorRegistry) throws {
    guard let ip = Self.ipv4Address(address) else {
      throw MetricsServerError(.invalidAddress, "not an IPv4 address: \(address)")
    }
    guard (1...65_535).contains(port) else {
      throw MetricsServerError(.cannotListen, "not a TCP port: \(port)")
    }
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else {
      throw MetricsServerError(.cannotListen, "socket: \(Errno(rawValue: errno))")
    }
    var reuse: Int32 = 1
    setsockopt(
      descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var socketAddress = sockaddr_in()
    socketAddress.sin_family = sa_family_t(AF_INET)
    socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
    socketAddress.sin_addr = ip
    let bound = withUnsafePointer(to: &socketAddress) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, listen(descriptor, Self.backlog) == 0 else {
      let reason = Errno(rawValue: errno)
      close(descriptor)
      throw MetricsServerError(.cannotListen, "cannot listen on \(address):\(port): \(reason)")
    }
    listener = descriptor
    self.registry = registry
    self.port = port
  }

  /// The address `text` names, if it is dotted IPv4.
  static func ipv4Address(_ text: String) -> in_addr? {
    var address = in_addr()
    return inet_pton(AF_INET, text, &address) == 1 ? address : nil
  }

  /// Serves on a thread of its own until the process exits.
  func start() {
    let thread = Thread { [self] in
      while true { serveOne() }
    }
    thread.name = "celeriac-metrics"
    thread.start()
  }

  private func serveOne() {
    let client = accept(listener, nil, nil)
    guard client >= 0 else {
      if errno != EINTR { usleep(10_000) }  // EMFILE and the like: do not spin
      return
    }
    // accept4 is not visible from Swift here; a child spawned in between would only hold a
    // copy of a connection whose reply carries its length.
    _ = fcntl(client, F_SETFD, FD_CLOEXEC)
    defer { close(client) }
    var timeout = timeval(
      tv_sec: Int(Self.readTimeout.components.seconds), tv_usec: 0)
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    guard let head = Self.readHead(client) else { return }
    let response = respond(to: head)
    Self.writeAll(client, response)
  }

  /// The reply to a request head: `/metrics` (with or without a query) or an error status.
  func respond(to head: String) -> [UInt8] {
    // "\r\n" is one Character in Swift: `isNewline` covers it and a bare "\n".
    let requestLine = head.prefix { !$0.isNewline }
    let parts = requestLine.split(separator: " ")
    guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
      return Self.reply(status: "400 Bad Request", body: Array("bad request\n".utf8))
    }
    guard parts[0] == "GET" || parts[0] == "HEAD" else {
      return Self.reply(status: "405 Method Not Allowed", body: Array("GET /metrics\n".utf8))
    }
    let path = parts[1].prefix { $0 != "?" }
    guard path == "/metrics" else {
      return Self.reply(status: "404 Not Found", body: Array("see /metrics\n".utf8))
    }
    var body: [UInt8] = []
    registry.emit(into: &body)
    return Self.reply(status: "200 OK", body: body, headOnly: parts[0] == "HEAD")
  }

  private static func reply(status: String, body: [UInt8], headOnly: Bool = false) -> [UInt8] {
    let head =
      "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
    return Array(head.utf8) + (headOnly ? [] : body)
  }

  /// Reads up to the blank line that ends the head; `nil` on timeout, EOF or an oversize head.
  private static func readHead(_ client: Int32) -> String? {
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1_024)
    while data.count < maximumRequestBytes {
      let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
      guard count > 0 else { return nil }
      data += chunk[0..<count]
      if let text = String(validating: data, as: UTF8.self),
        text.contains("\r\n\r\n") || text.contains("\n\n")
      {
        return text
      }
    }
    return nil
  }

  private static func writeAll(_ client: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes {
        send(client, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
      }
      guard written > 0 else { return }
      offset += written
    }
  }
}
