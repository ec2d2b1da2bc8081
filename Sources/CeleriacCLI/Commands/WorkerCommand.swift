import ArgumentParser
import Celeriac
import CeleriacWorker
import Foundation
import Logging

/// `celeriac worker`: the supervisor.
struct WorkerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "worker",
    abstract: "Run the supervisor: one prefork pool of child processes per queue.",
    discussion: """
      Signals: TERM warm shutdown; INT warm, twice cold; QUIT cold; HUP reload (new generation \
      of children from the binary on disk); TTIN/TTOU one child more/fewer per pool; USR1 log \
      the state.
      """)

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var logging: LoggingOptions
  @OptionGroup var worker: WorkerOptions
  @OptionGroup(title: "Embedded beat (-B)") var embeddedBeat: EmbeddedBeatOptions
  @OptionGroup(title: "Prometheus metrics") var metrics: MetricsOptions

  /// The option groups that hold the worker settings' flags.
  var optionGroups: WorkerOptionGroups {
    WorkerOptionGroups(worker: worker, connection: connection, logging: logging, metrics: metrics)
  }

  func run() throws {
    try Self.run(flags: WorkerFlags(optionGroups), embeddedBeat: embeddedBeat)
  }

  /// Runs the supervisor with `flags`, and beat in this process when `embeddedBeat` says so;
  /// returns when the supervisor exits cleanly.
  static func run(flags: WorkerFlags, embeddedBeat: EmbeddedBeatOptions?) throws {
    let app = CeleriacCommandLine.app
    let settings = try resolve(flags)
    let configuration = settings.configuration
    LoggingBootstrap.bootstrap(level: settings.logLevel, format: settings.logFormat)
    var connectionSettings = settings.connection.configuration(base: app.configuration)
    // No broker call may hold the loop past the lease (or the watchdog).
    connectionSettings.brokerCommandTimeout = min(.seconds(10), configuration.lease / 3)
    let urls = connectionSettings
    try embeddedBeat?.start(app: app, urls: urls)
    if let port = settings.metricsPort {
      try MetricsEndpoint.start(address: settings.metricsAddress, port: port)
    }
    let supervisor = Supervisor(
      configuration: configuration, registry: app.registry,
      connect: { try ConnectionFactory.open(urls) },
      executablePath: try CurrentExecutable.path(),
      childArguments: [ChildCommand.commandName],
      logger: Logger(label: "celeriac.supervisor"),
      reloadConfiguration: { try resolve(flags).configuration })
    let status = supervisor.run()
    if status == .brokerUnavailable, let reason = supervisor.startupError {
      throw CommandFailure(reason, code: status.rawValue)
    }
    if status != .clean { throw ExitCode(status.rawValue) }
  }
}

extension WorkerCommand {
  /// The settings from `flags`, the environment and the `--config` file (read anew on every
  /// call, so that a reload sees its changes).
  static func resolve(_ flags: WorkerFlags) throws -> ResolvedWorkerSettings {
    let file = try flags.config.map(WorkerConfigFile.load) ?? WorkerConfigFile()
    var settings = try WorkerSettings.resolve(flags: flags, file: file)
    settings.configuration.recordsMetrics = settings.metricsPort != nil
    return settings
  }
}

/// Where this binary lives on disk, so children (and a reload) exec the file, not a mapping.
enum CurrentExecutable {
  static func path() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else {
      throw ValidationError("cannot find this executable (/proc/self/exe)")
    }
    let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return path.hasSuffix(" (deleted)") ? String(path.dropLast(10)) : path
  }
}

/// Sets up swift-log once: one line per event on standard error, as text or JSON.
enum LoggingBootstrap {
  static func bootstrap(level: LogLevelArgument, format: LogFormatArgument = .text) {
    let logLevel = Logger.Level(rawValue: level.rawValue) ?? .info
    LoggingSystem.bootstrap { label in
      switch format {
      case .text: TextLogHandler(label: label, logLevel: logLevel)
      case .json: JSONLogHandler(label: label, logLevel: logLevel)
      }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
