import Celeriac
import Foundation

/// Where the dashboard listens, who may use it, and where it reads.
public struct DashboardConfiguration: Sendable {
  /// The address listened on by default: loopback only.
  public static let defaultHost = "127.0.0.1"
  /// The port listened on by default.
  public static let defaultPort = 5555
  /// How often the charts' queue depths and pool sizes are sampled by default.
  public static let defaultSampleInterval: Duration = .seconds(1)
  /// How many samples are kept by default (ten minutes at one a second).
  public static let defaultHistoryLength = 600
  /// How long revoke and terminate wait for the workers' replies by default.
  public static let defaultControlTimeout: Duration = .seconds(1)

  /// The address to listen on.
  public var host: String
  /// The port (0: any free port).
  public var port: Int
  /// Who may use it.
  public var authentication: DashboardAuthentication
  /// The broker URL.
  public var brokerURL: String
  /// The result backend URL.
  public var backendURL: String
  /// How often queue depths and pool sizes are sampled.
  public var sampleInterval: Duration
  /// How many samples are kept.
  public var historyLength: Int
  /// How long revoke and terminate wait for the workers' replies.
  public var controlTimeout: Duration

  /// Creates a configuration.
  public init(
    host: String = DashboardConfiguration.defaultHost,
    port: Int = DashboardConfiguration.defaultPort,
    authentication: DashboardAuthentication = .none, brokerURL: String, backendURL: String? = nil,
    sampleInterval: Duration = DashboardConfiguration.defaultSampleInterval,
    historyLength: Int = DashboardConfiguration.defaultHistoryLength,
    controlTimeout: Duration = DashboardConfiguration.defaultControlTimeout
  ) {
    self.host = host
    self.port = port
    self.authentication = authentication
    self.brokerURL = brokerURL
    self.backendURL = backendURL ?? brokerURL
    self.sampleInterval = sampleInterval
    self.historyLength = historyLength
    self.controlTimeout = controlTimeout
  }

  /// Whether `host` is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
  public static func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
  }

  /// Throws unless the configuration may be served: a port in range, credentials long
  /// enough, and credentials of some kind when the address is not loopback.
  public func validate() throws {
    guard (0...65_535).contains(port) else {
      throw DashboardError(.invalidConfiguration, "--port must be 0…65535, not \(port)")
    }
    guard (1...100_000).contains(historyLength) else {
      throw DashboardError(.invalidConfiguration, "the history must hold 1…100000 samples")
    }
    switch authentication {
    case .none:
      guard Self.isLoopback(host) else {
        throw DashboardError(
          .insecureBinding,
          "refusing to serve on \(host) without credentials: give --user with --password (or CELERIAC_DASHBOARD_PASSWORD), or --token (or CELERIAC_DASHBOARD_TOKEN)"
        )
      }
    case .basic(let user, let password):
      guard !user.isEmpty, !user.contains(":"),
        password.count >= DashboardAuthentication.minimumSecretLength
      else {
        throw DashboardError(
          .insecureBinding,
          "basic auth needs a user without ':' and a password of at least \(DashboardAuthentication.minimumSecretLength) characters"
        )
      }
    case .token(let token):
      guard token.count >= DashboardAuthentication.minimumSecretLength else {
        throw DashboardError(
          .insecureBinding,
          "the token must be at least \(DashboardAuthentication.minimumSecretLength) characters")
      }
    }
  }
}
