import CeleriacRedis
import CeleriacTestSupport
import NIOCore
import Testing

@Suite("Redis over TLS (rediss://)", .serialized)
struct RedisTLSTests {
  /// Runs `body` with a TLS-enabled server (plain port too, for readiness polling).
  func withTLSServer(
    _ body: (RedisTestServer, TestCertificates) async throws -> Void
  ) async throws {
    let certificates = try TestCertificates()
    defer { certificates.remove() }
    let server = try RedisTestServer(
      tls: (certificates.serverCertificate, certificates.serverKey, certificates.caCertificate))
    try await server.start()
    defer { server.stop() }
    try await body(server, certificates)
  }

  @Test("connecting with the CA file verifies the server and works, by IP and by name")
  func trustedCA() async throws {
    try await withTLSServer { server, certificates in
      let tlsPort = server.tlsPort!
      for host in ["127.0.0.1", "localhost"] {
        let client = try RedisClient(
          "rediss://\(host):\(tlsPort)/1?ssl_ca_certs=\(certificates.caCertificate)")
        defer { client.shutdownSync() }
        #expect(try await client.send(["SET", "over", "tls"]) == .simpleString("OK"))
        #expect(try client.sendSync(["GET", "over"]).string == "tls")
        let subscription = try await client.subscribe(to: "tls-channel")
        _ = try await client.send(["PUBLISH", "tls-channel", "hi"])
        let message = try await subscription.nextMessage(timeout: .seconds(5))
        #expect(message.map { String(buffer: $0) } == "hi")
        await subscription.close()
      }
    }
  }

  @Test("without the right CA, verification fails with a clear error")
  func untrustedCA() async throws {
    try await withTLSServer { server, certificates in
      let tlsPort = server.tlsPort!
      for query in ["", "?ssl_ca_certs=\(certificates.otherCACertificate)"] {
        let client = try RedisClient("rediss://127.0.0.1:\(tlsPort)\(query)")
        defer { client.shutdownSync() }
        let error = await expectRedisError { _ = try await client.send(["PING"]) }
        #expect(error?.code == .connectionFailed)
        #expect(
          error?.message.hasPrefix(
            "cannot connect to Redis at 127.0.0.1:\(tlsPort): TLS handshake failed: ")
            == true, "\(String(describing: error))")
        #expect(error?.message.contains("CERTIFICATE_VERIFY_FAILED") == true)
      }
    }
  }

  @Test("verification can be turned off (tests only)")
  func verificationOff() async throws {
    try await withTLSServer { server, _ in
      let url = RedisURL(
        host: "127.0.0.1", port: server.tlsPort!, tls: RedisTLSOptions(verifyCertificate: false))
      let client = RedisClient(url: url)
      defer { client.shutdownSync() }
      // A closure is inferred as throwing only if a `try` stands outside #expect.
      let reply = try await client.send(["PING"])
      #expect(reply == .simpleString("PONG"))
    }
  }

  @Test("an unreadable CA file is a configuration error")
  func missingCAFile() async throws {
    let client = try RedisClient("rediss://127.0.0.1:1?ssl_ca_certs=/nonexistent/ca.pem")
    defer { client.shutdownSync() }
    let error = await expectRedisError { try await client.connect() }
    #expect(error?.code == .tlsConfiguration)
  }
}
