import ArgumentParser
import Celeriac
import Foundation

/// `--broker` and `--backend`, shared by every command that talks to them (an app's own
/// commands too: `@OptionGroup var connection: ConnectionOptions`).
public struct ConnectionOptions: ParsableArguments, Sendable {
  /// Creates the options (for ArgumentParser).
  public init() {}

  /// `--broker`: the broker URL, if given.
  @Option(help: WorkerSettings.broker.help)
  public var broker: String?

  /// `--backend`: the result backend URL, if given.
  @Option(help: WorkerSettings.backend.help)
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

/// `-l/--loglevel` and `--log-format`, declared in ``WorkerSettings`` (the worker resolves
/// them with its other settings; other commands call ``resolved()``).
struct LoggingOptions: ParsableArguments, Sendable {
  /// The level when none is given.
  static let defaultLevel = LogLevelArgument.info

  @Option(name: WorkerSettings.loglevel.names, help: WorkerSettings.loglevel.help)
  var logLevel: String?

  @Option(name: WorkerSettings.logFormat.names, help: WorkerSettings.logFormat.help)
  var logFormat: String?

  /// The level and format from the flags, else their environment variables, else defaults.
  func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws
    -> (level: LogLevelArgument, format: LogFormatArgument)
  {
    var groups = WorkerOptionGroups()
    groups.logging = self
    var settings = ResolvedWorkerSettings()
    for setting in [WorkerSettings.loglevel, WorkerSettings.logFormat] {
      if let input = setting.flag(groups) {
        setting.apply(try setting.value(of: input, from: .commandLine), &settings)
      } else if let name = setting.environment, let text = environment[name], !text.isEmpty {
        setting.apply(try setting.value(of: .text(text), from: .environment), &settings)
      }
    }
    return (settings.logLevel, settings.logFormat)
  }
}

/// `--log-format`: how log lines are written.
enum LogFormatArgument: String, CaseIterable, Sendable {
  case text, json
}

/// A log level as the command line spells it (Celery's names, any case).
enum LogLevelArgument: String, CaseIterable, Sendable {
  case trace, debug, info, notice, warning, error, critical

  init?(argument: String) {
    let lowered = argument.lowercased()
    self.init(rawValue: lowered == "warn" ? "warning" : lowered)
  }
}
