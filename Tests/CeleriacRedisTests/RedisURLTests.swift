import CeleriacRedis
import Testing

@Suite("Redis URLs")
struct RedisURLTests {
  @Test("a full URL is parsed into its parts")
  func fullURL() throws {
    let url = try RedisURL("redis://worker:s%40cr%2Ft@redis.example:6380/3")
    #expect(url.host == "redis.example")
    #expect(url.port == 6380)
    #expect(url.username == "worker")
    #expect(url.password == "s@cr/t")
    #expect(url.database == 3)
    #expect(url.tls == nil)
  }

  @Test("defaults apply when parts are left out")
  func defaults() throws {
    let url = try RedisURL("redis://")
    #expect(url == RedisURL(host: "localhost", port: 6379, database: 0))
    let passwordOnly = try RedisURL("redis://:pw@10.0.0.1")
    #expect(passwordOnly.username == nil && passwordOnly.password == "pw")
    let ipv6 = try RedisURL("redis://[::1]:7000/1")
    #expect(ipv6.host == "::1" && ipv6.port == 7000 && ipv6.endpoint == "[::1]:7000")
  }

  @Test("rediss:// turns TLS on and reads Celery's ssl_ options")
  func tls() throws {
    let url = try RedisURL(
      "rediss://h:6390/0?ssl_ca_certs=/tmp/ca.pem&ssl_cert_reqs=CERT_NONE&ssl_certfile=/c&x=1")
    #expect(
      url.tls
        == RedisTLSOptions(caFile: "/tmp/ca.pem", certificateFile: "/c", verifyCertificate: false))
    #expect(try RedisURL("rediss://h").tls == RedisTLSOptions())
  }

  @Test("the description never shows the password")
  func redaction() throws {
    let url = try RedisURL("redis://user:topsecret@host:1234/2")
    #expect(url.redactedDescription == "redis://user:***@host:1234/2")
    #expect("\(url)" == "redis://user:***@host:1234/2")
    #expect(!String(describing: url).contains("topsecret"))
    #expect(try RedisURL("redis://:pw@h").description == "redis://:***@h:6379/0")
  }

  @Test(
    "bad URLs are rejected with a clear error",
    arguments: [
      "http://h", "h:6379", "redis://h:0", "redis://h:99999", "redis://h:abc", "redis://h/x",
      "redis://h/-1", "redis://user@h", "redis://[::1", "redis://:%zz@h",
      "rediss://h?ssl_cert_reqs=maybe",
    ])
  func invalid(_ text: String) {
    do {
      _ = try RedisURL(text)
      Issue.record("accepted \(text)")
    } catch let error as RedisError {
      #expect(error.code == .invalidURL)
      #expect(error.message.hasPrefix("invalid Redis URL: "))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }
}
