import CeleriacCore
import NIOCore

/// Turns errors of the Redis client into Celeriac's one-line errors.
enum RedisFailure {
  /// `code` (`.brokerUnavailable` or `.backendUnavailable`) for a server that cannot be
  /// reached or answers with an error, `.protocolError` for a reply of the wrong shape.
  static func wrap(
    _ error: any Error, _ code: CeleriacError.Code, role: String, url: RedisURL, operation: String
  ) -> CeleriacError {
    if let error = error as? CeleriacError { return error }
    let redisError = error as? RedisError
    let detail = redisError?.message ?? "\(error)"
    let transient: Bool
    switch redisError?.code {
    case .connectionFailed?, .closed?, .timeout?: transient = true
    default: transient = false
    }
    return CeleriacError(
      code, "Redis \(role) \(url.redactedDescription): \(operation) failed: \(detail)",
      isTransient: transient)
  }

  /// Throws the first error reply among `replies`.
  static func check(_ replies: [RESPValue]) throws {
    for reply in replies { _ = try reply.checked() }
  }
}

extension RedisConnectionOptions {
  /// The settings of Celeriac's broker and backend: a short connect timeout so that a missing
  /// server is reported quickly, and a command timeout well above any command's own duration.
  public static let celeriac = RedisConnectionOptions(
    connectTimeout: .seconds(3), commandTimeout: .seconds(10))
}
