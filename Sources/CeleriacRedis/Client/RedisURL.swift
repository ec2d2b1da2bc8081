/// TLS settings of a `rediss://` connection.
public struct RedisTLSOptions: Sendable, Hashable {
  /// A PEM file of CA certificates to trust instead of the system's trust store.
  public var caFile: String?
  /// A PEM file holding the client certificate (chain), for servers that require one.
  public var certificateFile: String?
  /// A PEM file holding the private key of ``certificateFile``.
  public var privateKeyFile: String?
  /// Whether to verify the server's certificate and host name; turn off only in tests.
  public var verifyCertificate: Bool

  /// Creates TLS options; by default the system trust store is used and verification is on.
  public init(
    caFile: String? = nil,
    certificateFile: String? = nil,
    privateKeyFile: String? = nil,
    verifyCertificate: Bool = true
  ) {
    self.caFile = caFile
    self.certificateFile = certificateFile
    self.privateKeyFile = privateKeyFile
    self.verifyCertificate = verifyCertificate
  }
}

/// Where and how to connect to Redis: `redis://[user:password@]host[:port][/db]`, or
/// `rediss://...` for TLS.
///
/// The TLS options can also be given in the query, with the names Celery and redis-py use:
/// `ssl_ca_certs`, `ssl_certfile`, `ssl_keyfile` and `ssl_cert_reqs` (`none` or `CERT_NONE`
/// turns verification off). The user name and password are percent-decoded.
/// The `description` of a URL never shows the password.
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
  /// The host name or IP address (IPv6 without brackets).
  public var host: String
  /// The TCP port (6379 unless given).
  public var port: Int
  /// The ACL user name, if any (`AUTH user password`).
  public var username: String?
  /// The password, if any (`AUTH password`, or with ``username``).
  public var password: String?
  /// The logical database selected after connecting (`SELECT db`).
  public var database: Int
  /// TLS settings; non-`nil` exactly when the scheme is `rediss`.
  public var tls: RedisTLSOptions?

  /// Creates a URL from its parts.
  public init(
    host: String = "localhost",
    port: Int = 6379,
    username: String? = nil,
    password: String? = nil,
    database: Int = 0,
    tls: RedisTLSOptions? = nil
  ) {
    self.host = host
    self.port = port
    self.username = username
    self.password = password
    self.database = database
    self.tls = tls
  }

  /// Parses a `redis://` or `rediss://` URL.
  ///
  /// - Throws: ``RedisError`` with code `.invalidURL` and a message that does not repeat the
  ///   password.
  public init(_ string: String) throws {
    func invalid(_ why: String) -> RedisError {
      RedisError(code: .invalidURL, message: "invalid Redis URL: \(why)")
    }
    guard let schemeEnd = string.firstRange(of: "://") else {
      throw invalid("expected redis://host:port/db or rediss://...")
    }
    let scheme = string[..<schemeEnd.lowerBound].lowercased()
    guard scheme == "redis" || scheme == "rediss" else {
      throw invalid("unsupported scheme '\(scheme)' (expected redis or rediss)")
    }
    var rest = string[schemeEnd.upperBound...]
    var query: Substring = ""
    if let questionMark = rest.firstIndex(of: "?") {
      query = rest[rest.index(after: questionMark)...]
      rest = rest[..<questionMark]
    }

    self.init()
    if let at = rest.lastIndex(of: "@") {
      let userInfo = rest[..<at]
      rest = rest[rest.index(after: at)...]
      if let colon = userInfo.firstIndex(of: ":") {
        let user = try Self.percentDecoded(userInfo[..<colon], invalid)
        self.username = user.isEmpty ? nil : user
        self.password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], invalid)
      } else if !userInfo.isEmpty {
        throw invalid("user name without password (use redis://:password@host or user:password@)")
      }
    }

    var hostPort = rest
    var path: Substring = ""
    if let slash = rest.firstIndex(of: "/") {
      hostPort = rest[..<slash]
      path = rest[rest.index(after: slash)...]
    }
    var portText: Substring?
    if hostPort.hasPrefix("[") {
      guard let close = hostPort.firstIndex(of: "]") else { throw invalid("unclosed '[' in host") }
      self.host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
      let after = hostPort[hostPort.index(after: close)...]
      if !after.isEmpty {
        guard after.hasPrefix(":") else { throw invalid("unexpected text after ']'") }
        portText = after.dropFirst()
      }
    } else if let colon = hostPort.lastIndex(of: ":") {
      self.host = String(hostPort[..<colon])
      portText = hostPort[hostPort.index(after: colon)...]
    } else {
      self.host = String(hostPort)
    }
    if self.host.isEmpty { self.host = "localhost" }
    if let portText {
      guard let port = Int(portText), (1...65535).contains(port) else {
        throw invalid("bad port '\(portText)'")
      }
      self.port = port
    }
    if !path.isEmpty {
      guard let database = Int(path), database >= 0 else {
        throw invalid("bad database number '\(path)'")
      }
      self.database = database
    }

    if scheme == "rediss" {
      var options = RedisTLSOptions()
      for item in query.split(separator: "&") where !item.isEmpty {
        let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = parts[0]
        let value = parts.count > 1 ? try Self.percentDecoded(parts[1], invalid) : ""
        switch key {
        case "ssl_ca_certs": options.caFile = value
        case "ssl_certfile": options.certificateFile = value
        case "ssl_keyfile": options.privateKeyFile = value
        case "ssl_cert_reqs":
          switch value.lowercased() {
          case "none", "cert_none": options.verifyCertificate = false
          case "required", "cert_required": options.verifyCertificate = true
          default: throw invalid("ssl_cert_reqs must be none or required, not '\(value)'")
          }
        default: continue  // Other options of redis-py and kombu are not about the connection.
        }
      }
      self.tls = options
    }
  }

  /// `host:port` (IPv6 in brackets), as used in error messages.
  public var endpoint: String {
    self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
  }

  /// The URL with the password replaced by `***`, safe to log.
  public var redactedDescription: String {
    var text = self.tls == nil ? "redis://" : "rediss://"
    if self.username != nil || self.password != nil {
      text += self.username ?? ""
      if self.password != nil { text += ":***" }
      text += "@"
    }
    text += "\(self.endpoint)/\(self.database)"
    if let tls = self.tls {
      var query: [String] = []
      if let caFile = tls.caFile { query.append("ssl_ca_certs=\(caFile)") }
      if let certificateFile = tls.certificateFile {
        query.append("ssl_certfile=\(certificateFile)")
      }
      if let keyFile = tls.privateKeyFile { query.append("ssl_keyfile=\(keyFile)") }
      if !tls.verifyCertificate { query.append("ssl_cert_reqs=none") }
      if !query.isEmpty { text += "?" + query.joined(separator: "&") }
    }
    return text
  }

  /// The same as ``redactedDescription``: printing a URL never leaks its password.
  public var description: String { self.redactedDescription }

  private static func percentDecoded(
    _ text: Substring,
    _ invalid: (String) -> RedisError
  ) throws -> String {
    guard text.contains("%") else { return String(text) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    var iterator = text.utf8.makeIterator()
    while let byte = iterator.next() {
      guard byte == UInt8(ascii: "%") else {
        bytes.append(byte)
        continue
      }
      guard let high = iterator.next().flatMap(Self.hexValue),
        let low = iterator.next().flatMap(Self.hexValue)
      else { throw invalid("bad percent escape in user name or password") }
      bytes.append(high << 4 | low)
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}
