import ArgumentParser
import Celeriac

/// `--broker` and `--backend`, shared by every command that talks to them (an app's own
/// commands too: `@OptionGroup var connection: ConnectionOptions`).
public struct ConnectionOptions: ParsableArguments {
  /// Creates the options (for ArgumentParser).
  public init() {}

  /// `--broker`: the broker URL, if given.
  @Option(
    help: ArgumentHelp(
      "Broker URL: sqlite:///abs/path.db, sqlite://relative.db, redis://[user:pass@]host:port/db, rediss://… (env CELERIAC_BROKER_URL; default sqlite://celeriac.db in the working directory).",
      valueName: "url"))
  public var broker: String?

  /// `--backend`: the result backend URL, if given.
  @Option(
    help: ArgumentHelp(
      "Result backend URL, same forms (env CELERIAC_RESULT_BACKEND; default: the broker's).",
      valueName: "url"))
  public var backend: String?

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
  public func connect(_ app: CeleriacApp) throws -> Connection {
    app.configuration = configuration(base: app.configuration)
    return try app.connection()
  }
}

/// `-l/--loglevel`.
struct LoggingOptions: ParsableArguments {
  @Option(
    name: [.customShort("l"), .customLong("loglevel")],
    help: "Log level: debug, info, warning, error, critical (default: info).")
  var logLevel: LogLevelArgument?

  @Option(
    help: "Log lines as text (default) or json (one object a line: task id, name, pool, pid).")
  var logFormat: LogFormatArgument = .text
}

/// `--log-format`: how log lines are written.
enum LogFormatArgument: String, ExpressibleByArgument, CaseIterable {
  case text, json
}

/// A log level as the command line spells it (Celery's names, any case).
enum LogLevelArgument: String, ExpressibleByArgument, CaseIterable {
  case trace, debug, info, notice, warning, error, critical

  init?(argument: String) {
    let lowered = argument.lowercased()
    self.init(rawValue: lowered == "warn" ? "warning" : lowered)
  }
}
