import ArgumentParser
import Celeriac

/// `--broker` and `--backend`, shared by every command that talks to them.
struct ConnectionOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Broker URL: sqlite:///abs/path.db, sqlite://relative.db, redis://[user:pass@]host:port/db, rediss://… (env CELERIAC_BROKER_URL; default sqlite://celeriac.db in the working directory).",
      valueName: "url"))
  var broker: String?

  @Option(
    help: ArgumentHelp(
      "Result backend URL, same forms (env CELERIAC_RESULT_BACKEND; default: the broker's).",
      valueName: "url"))
  var backend: String?

  /// The app's configuration with these flags applied over the environment's.
  func configuration(base: CeleriacConfiguration) -> CeleriacConfiguration {
    var configuration = base
    if let broker {
      configuration.brokerURL = broker
      if backend == nil && base.backendURL == base.brokerURL { configuration.backendURL = broker }
    }
    if let backend { configuration.backendURL = backend }
    return configuration
  }

  /// Applies the flags to the app and opens the connection.
  func connect(_ app: CeleriacApp) throws -> Connection {
    app.configuration = configuration(base: app.configuration)
    return try app.connection()
  }
}

/// `-l/--loglevel`.
struct LoggingOptions: ParsableArguments {
  @Option(
    name: [.customShort("l"), .customLong("loglevel")],
    help: "Log level: debug, info, warning, error, critical.")
  var logLevel: LogLevelArgument = .info
}

/// A log level as the command line spells it (Celery's names, any case).
enum LogLevelArgument: String, ExpressibleByArgument, CaseIterable {
  case trace, debug, info, notice, warning, error, critical

  init?(argument: String) {
    let lowered = argument.lowercased()
    self.init(rawValue: lowered == "warn" ? "warning" : lowered)
  }
}
