import Foundation

/// Where an app finds its broker and result backend, and whether it runs tasks eagerly.
public struct CeleriacConfiguration: Sendable, Equatable {
  /// The default broker and backend: a SQLite file in the working directory.
  public static let defaultURL = "sqlite://celeriac.db"
  /// The environment variable naming the broker URL.
  public static let brokerEnvironmentKey = "CELERIAC_BROKER_URL"
  /// The environment variable naming the result backend URL.
  public static let backendEnvironmentKey = "CELERIAC_RESULT_BACKEND"
  /// The environment variable that turns eager mode on (`1`, `true`, `yes`).
  public static let eagerEnvironmentKey = "CELERIAC_ALWAYS_EAGER"

  /// The broker URL: `sqlite:///abs/path.db`, `sqlite://relative.db`, `redis://…`, `rediss://…`.
  public var brokerURL: String
  /// The result backend URL; by default the broker's.
  public var backendURL: String
  /// Run sent tasks in-process at once (for tests); errors surface at the call.
  public var alwaysEager: Bool
  /// How long one Redis command may wait for its reply (`nil`: the client's default, 10 s).
  /// The worker sets it below a third of its lease, so that no broker call holds its loop
  /// past the lease.
  public var brokerCommandTimeout: Duration?
  /// How long results are kept.
  public var resultExpiry: Duration

  /// Creates a configuration.
  public init(
    brokerURL: String = CeleriacConfiguration.defaultURL, backendURL: String? = nil,
    alwaysEager: Bool = false, resultExpiry: Duration = defaultResultExpiry
  ) {
    self.brokerURL = brokerURL
    self.backendURL = backendURL ?? brokerURL
    self.alwaysEager = alwaysEager
    self.resultExpiry = resultExpiry
  }

  /// The configuration given by the environment (`CELERIAC_BROKER_URL`,
  /// `CELERIAC_RESULT_BACKEND`, `CELERIAC_ALWAYS_EAGER`), with defaults for what is unset.
  public static func fromEnvironment(
    _ environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> CeleriacConfiguration {
    let broker = environment[brokerEnvironmentKey].flatMap { $0.isEmpty ? nil : $0 }
    let backend = environment[backendEnvironmentKey].flatMap { $0.isEmpty ? nil : $0 }
    let eager = ["1", "true", "yes"].contains(
      environment[eagerEnvironmentKey]?.lowercased() ?? "")
    return CeleriacConfiguration(
      brokerURL: broker ?? defaultURL, backendURL: backend ?? broker ?? defaultURL,
      alwaysEager: eager)
  }
}
