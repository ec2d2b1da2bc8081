import CeleriacRedis
import CeleriacTestSupport
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A one-connection fake server on a loopback port: after reading a request it answers with
/// fixed bytes (valid or not) and keeps the connection open until stopped.
final class FakeRedisServer: @unchecked Sendable {
  let port: Int
  private let listener: Int32
  private let thread: Thread

  init(answer: [UInt8]) throws {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, length) == 0 && listen(listener, 4) == 0
          && getsockname(listener, $0, &length) == 0
      }
    }
    guard ok else { throw TestSetupFailure("cannot listen on loopback") }
    self.listener = listener
    self.port = Int(UInt16(bigEndian: address.sin_port))
    self.thread = Thread {
      let connection = accept(listener, nil, nil)
      guard connection >= 0 else { return }
      var buffer = [UInt8](repeating: 0, count: 4096)
      _ = read(connection, &buffer, buffer.count)  // The client's first command (PING).
      _ = write(connection, answer, answer.count)
      while read(connection, &buffer, buffer.count) > 0 {}
      close(connection)
    }
    self.thread.start()
  }

  func stop() {
    shutdown(self.listener, Int32(SHUT_RDWR))
    close(self.listener)
  }
}

@Suite("Redis client against a misbehaving server")
struct RedisHostileServerTests {
  @Test(
    "invalid or oversized replies fail the command with protocolError and close the connection",
    arguments: ["?garbage\r\n", "$999999999999\r\n", String(repeating: "*1\r\n", count: 10_000)])
  func invalidReply(_ answer: String) async throws {
    let server = try FakeRedisServer(answer: Array(answer.utf8))
    defer { server.stop() }
    let client = try RedisClient(
      "redis://127.0.0.1:\(server.port)",
      options: RedisConnectionOptions(connectTimeout: .seconds(5)))
    defer { client.shutdownSync() }
    let error = await expectRedisError { try await client.connect() }
    #expect(error?.code == .protocolError, "\(String(describing: error))")
    #expect(
      error?.message.hasPrefix("invalid RESP from Redis at 127.0.0.1:\(server.port): ") == true)
  }

  @Test("a server that never answers makes the connect time out")
  func silentServer() async throws {
    let server = try FakeRedisServer(answer: [])
    defer { server.stop() }
    let client = try RedisClient(
      "redis://127.0.0.1:\(server.port)",
      options: RedisConnectionOptions(connectTimeout: .milliseconds(200)))
    defer { client.shutdownSync() }
    let error = await expectRedisError { try await client.connect() }
    #expect(error?.code == RedisError.Code.timeout)
    #expect(error?.message.hasPrefix("cannot connect to Redis at 127.0.0.1:\(server.port)") == true)
  }
}
