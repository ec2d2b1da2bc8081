import CeleriacRedis
import CeleriacSQLite

/// An open broker and result backend.
public struct Connection: Sendable {
  /// Where task messages go.
  public let broker: any Broker
  /// Where results are stored.
  public let backend: any ResultBackend

  /// Pairs a broker with a backend.
  public init(broker: any Broker, backend: any ResultBackend) {
    self.broker = broker
    self.backend = backend
  }
}

/// Opens brokers and backends from their URLs.
public enum ConnectionFactory {
  /// Opens the broker and backend named by `configuration`; a SQLite file named by both is
  /// opened once.
  public static func open(_ configuration: CeleriacConfiguration) throws -> Connection {
    if try scheme(of: configuration.brokerURL).hasPrefix("redis"),
      try scheme(of: configuration.backendURL).hasPrefix("redis")
    {
      // Results may then be stored in the same transaction as the acknowledgements.
      var options = RedisConnectionOptions.celeriac
      if let timeout = configuration.brokerCommandTimeout {
        options.commandTimeout = .nanoseconds(max(timeout.wholeMilliseconds, 100) * 1_000_000)
        options.connectTimeout = min(options.connectTimeout, options.commandTimeout)
      }
      let backend = RedisResultBackend(
        url: try redisURL(configuration.backendURL), options: options)
      let broker = RedisBroker(
        url: try redisURL(configuration.brokerURL), resultDatabase: backend.url.database,
        options: options)
      return Connection(broker: broker, backend: backend)
    }
    let broker = try openBroker(configuration.brokerURL)
    if configuration.backendURL == configuration.brokerURL,
      let sameFile = broker as? SQLiteBroker
    {
      return Connection(broker: broker, backend: SQLiteResultBackend(store: sameFile.store))
    }
    return Connection(broker: broker, backend: try openBackend(configuration.backendURL))
  }

  /// Opens a broker from a URL.
  public static func openBroker(_ url: String) throws -> any Broker {
    switch try scheme(of: url) {
    case "sqlite": return try SQLiteBroker(url: url)
    case "redis", "rediss": return try RedisBroker(url: url)
    default:
      throw CeleriacError(.invalidURL, "unsupported broker URL scheme in '\(redact(url))'")
    }
  }

  /// Opens a result backend from a URL.
  public static func openBackend(_ url: String) throws -> any ResultBackend {
    switch try scheme(of: url) {
    case "sqlite": return try SQLiteResultBackend(url: url)
    case "redis", "rediss": return try RedisResultBackend(url: url)
    default:
      throw CeleriacError(.invalidURL, "unsupported result backend URL scheme in '\(redact(url))'")
    }
  }

  private static func redisURL(_ url: String) throws -> RedisURL {
    do {
      return try RedisURL(url)
    } catch let error as RedisError {
      throw CeleriacError(.invalidURL, error.message)
    }
  }

  private static func scheme(of url: String) throws -> String {
    guard let separator = url.range(of: "://") else {
      throw CeleriacError(
        .invalidURL, "'\(redact(url))' is not a URL (expected sqlite:///path.db or redis://host)")
    }
    return url[..<separator.lowerBound].lowercased()
  }

  /// The URL with any password replaced by `***`, for logs and errors.
  public static func redact(_ url: String) -> String {
    guard let schemeEnd = url.range(of: "://"),
      let at = url[schemeEnd.upperBound...].lastIndex(of: "@")
    else { return url }
    let credentials = url[schemeEnd.upperBound..<at]
    guard let colon = credentials.firstIndex(of: ":") else { return url }
    return url[..<url.index(after: colon)] + "***" + url[at...]
  }
}
