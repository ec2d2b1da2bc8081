import NIOCore
import NIOPosix
import NIOSSL
import SystemPackage

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An error of the Redis client: what went wrong (``code``) and a one-line message naming the
/// server, e.g. "cannot connect to Redis at 127.0.0.1:6390: connection refused".
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The kind of failure.
  public enum Code: Sendable, Hashable {
    /// The URL could not be parsed.
    case invalidURL
    /// The TCP connection or the TLS handshake failed (including certificate verification).
    case connectionFailed
    /// The server refused the credentials (AUTH failed).
    case authenticationFailed
    /// The server sent bytes that are not valid RESP, or a reply nobody asked for.
    case protocolError
    /// The server answered with an error reply; the payload is its message (e.g. "ERR ...").
    case serverError(String)
    /// The connection is closed (by the server, the network or the client).
    case closed
    /// No reply arrived within the command timeout; the connection was closed.
    case timeout
    /// A TLS option could not be used (unreadable CA file, certificate or key).
    case tlsConfiguration
  }

  /// The kind of failure.
  public var code: Code
  /// A one-line, human-readable explanation that never contains a password.
  public var message: String
  /// For a TLS failure of an open connection (mapped by ``wrap(_:endpoint:connecting:)``):
  /// the reason alone, without the endpoint, so that a caller can say it in its own words.
  private(set) var tlsReason: String?

  /// Creates an error.
  public init(code: Code, message: String) {
    self.code = code
    self.message = message
  }

  /// The one-line message.
  public var description: String { self.message }

  /// Maps any error of NIO, NIOSSL or the client to a `RedisError` naming `endpoint`.
  static func wrap(_ error: any Error, endpoint: String, connecting: Bool) -> RedisError {
    if let redisError = error as? RedisError { return redisError }
    let reason = Self.reason(error)
    if connecting {
      return RedisError(
        code: .connectionFailed, message: "cannot connect to Redis at \(endpoint): \(reason)")
    }
    if error is NIOSSLError || error is NIOSSLExtraError {
      var tlsError = RedisError(
        code: .connectionFailed, message: "TLS failure with Redis at \(endpoint): \(reason)")
      tlsError.tlsReason = reason
      return tlsError
    }
    return RedisError(
      code: .closed, message: "connection to Redis at \(endpoint) failed: \(reason)")
  }

  /// A short lowercase reason for a NIO error ("connection refused", "timed out after 2 s").
  static func reason(_ error: any Error) -> String {
    switch error {
    case let error as NIOConnectionError:
      if let first = error.connectionErrors.first {
        return Self.reason(first.error)
      }
      if let dnsError = error.dnsAAAAError ?? error.dnsAError {
        return "cannot resolve host (\(dnsError))"
      }
      return "no address to connect to"
    case let error as IOError:
      return Self.errnoText(error.errnoCode)
    case ChannelError.connectTimeout(let amount):
      return "timed out after \(Self.format(amount))"
    case ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed, ChannelError.eof:
      return "connection closed"
    case NIOSSLError.handshakeFailed(let inner):
      return "TLS handshake failed: \(Self.boringSSLReason(inner))"
    case let error as NIOSSLError:
      return "TLS error: \(error)"
    case let error as NIOSSLExtraError:
      return "TLS error: \(error)"
    default:
      return "\(error)"
    }
  }

  /// The reason codes of a BoringSSL error ("CERTIFICATE_VERIFY_FAILED"), or its description.
  static func boringSSLReason(_ error: BoringSSLError) -> String {
    guard case .sslError(let messages) = error, !messages.isEmpty else { return "\(error)" }
    let reasons = messages.map { message -> String in
      // "Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:REASON at file:line"
      let text = "\(message)"
      guard let marker = text.firstRange(of: "OPENSSL_internal:") else { return text }
      return String(text[marker.upperBound...].prefix { $0 != " " })
    }
    return reasons.joined(separator: ", ")
  }

  /// `strerror`'s text for `code` with a lowercase first letter, to go after a colon
  /// ("connection refused").
  static func errnoText(_ code: CInt) -> String {
    let text = Errno(rawValue: code).description
    guard let first = text.first else { return "errno \(code)" }
    return first.lowercased() + text.dropFirst()
  }

  static func format(_ amount: TimeAmount) -> String {
    let nanoseconds = amount.nanoseconds
    if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000) s" }
    return "\(nanoseconds / 1_000_000) ms"
  }
}
