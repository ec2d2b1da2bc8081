import ArgumentParser
import CeleriacCore
import CeleriacWorker
import Foundation

/// Everything the worker settings resolve to: the supervisor's configuration and the settings
/// the command itself uses (connection, logging, metrics).
///
/// ``WorkerSettings/resolve(flags:environment:file:)`` makes one: each setting's value is taken
/// from its flag, else the config file, else its environment variable, else its default, and
/// checked where it is read; ``validate()`` then checks the rules that join several settings.
struct ResolvedWorkerSettings: Sendable {
  /// The supervisor's configuration; its pools are built by ``validate()``.
  var configuration = WorkerConfiguration(pools: [])
  /// `--queues`.
  var queues = [TaskOptions.defaultQueue]
  /// `--concurrency`.
  var concurrency = WorkerConfiguration.defaultConcurrency
  /// `--autoscale` values, not yet parsed.
  var autoscale: [String] = []
  /// `--restart-backoff-min`.
  var restartBackoffMin = RestartPolicyConfiguration.defaultMinimumBackoff
  /// `--restart-backoff-max`.
  var restartBackoffMax = RestartPolicyConfiguration.defaultMaximumBackoff
  /// `--stable-uptime`.
  var stableUptime = RestartPolicyConfiguration.defaultStableUptime
  /// `--crash-loop-window`.
  var crashLoopWindow = RestartPolicyConfiguration.defaultCrashLoopWindow
  /// `--broker`, if set anywhere (else the app's configuration decides).
  var broker: String?
  /// `--backend`, if set anywhere.
  var backend: String?
  /// `-l`.
  var logLevel = LoggingOptions.defaultLevel
  /// `--log-format`.
  var logFormat = LogFormatArgument.text
  /// `--metrics-port`; `nil`: no metrics.
  var metricsPort: Int?
  /// `--metrics-address`.
  var metricsAddress = MetricsOptions.defaultAddress

  /// `--broker` and `--backend` as connection options (unset ones leave the app's
  /// configuration, which reads their environment variables, as it is).
  var connection: ConnectionOptions {
    var options = ConnectionOptions()
    options.broker = broker
    options.backend = backend
    return options
  }

  /// Checks the rules that join settings and builds the pools; each error names a setting.
  mutating func validate() throws {
    let bounds = try AutoscaleArgument.parseAll(autoscale, queues: queues)
    configuration.pools = queues.map { queue in
      let (maximum, minimum) = bounds[queue] ?? bounds[""] ?? (concurrency, concurrency)
      return PoolConfiguration(queues: [queue], minimum: minimum, maximum: maximum)
    }
    do {
      configuration.restart = try RestartPolicyConfiguration(
        minimumBackoff: restartBackoffMin, maximumBackoff: restartBackoffMax,
        stableUptime: stableUptime, crashLoopWindow: crashLoopWindow)
    } catch {
      throw ValidationError(
        "\(WorkerSettings.restartBackoffMax.flagName), \(WorkerSettings.restartBackoffMin.flagName): \(error.message)"
      )
    }
    for pool in configuration.pools where pool.autoscales {
      do {
        _ = try AutoscalerConfiguration(
          minimum: pool.minimum, maximum: pool.maximum,
          maximumStep: configuration.autoscaleMaximumStep,
          scaleDownCooldown: configuration.scaleDownCooldown,
          scaleDownInterval: configuration.scaleDownInterval,
          sampleInterval: configuration.autoscaleInterval)
      } catch {
        throw ValidationError("\(WorkerSettings.autoscale.flagName): \(error.message)")
      }
    }
    if metricsPort != nil || metricsAddress != MetricsOptions.defaultAddress,
      MetricsServer.ipv4Address(metricsAddress) == nil
    {
      throw ValidationError(
        "\(WorkerSettings.metricsAddress.flagName) must be an IPv4 address such as 127.0.0.1, not '\(metricsAddress)'"
      )
    }
  }
}

extension WorkerSettings {
  /// Resolves every setting: flag, else `file`, else environment variable, else default (the
  /// environment is where a unit file's `Environment=` defaults live, so a config file named
  /// on the command line overrides them); then
  /// ``ResolvedWorkerSettings/validate()``.
  ///
  /// - Throws: `ValidationError` naming the setting and where its bad value came from.
  static func resolve(
    flags: WorkerFlags,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    file: WorkerConfigFile = WorkerConfigFile()
  ) throws -> ResolvedWorkerSettings {
    var settings = ResolvedWorkerSettings()
    settings.configuration.hostname = WorkerConfiguration.defaultHostname()
    for setting in all {
      let given: (WorkerSettingInput, WorkerSettingOrigin)? =
        if let input = flags.inputs[setting.key] {
          (input, .commandLine)
        } else if let value = file.values[setting.key] {
          (.json(value), .file(file.path))
        } else if let name = setting.environment, let text = environment[name], !text.isEmpty {
          (.text(text), .environment)
        } else {
          nil
        }
      guard let (input, origin) = given else { continue }
      setting.apply(try setting.value(of: input, from: origin), &settings)
    }
    try settings.validate()
    return settings
  }
}

/// The JSON config file of `celeriac worker --config`: an object whose keys are the settings'
/// long names (``WorkerSetting/key``); an unknown key is an error, so that a typo is not
/// silently ignored.
struct WorkerConfigFile: Sendable {
  /// The largest config file read.
  static let maximumSize = 1 << 20

  /// Where the file was read from (for errors).
  private(set) var path = ""
  /// The file's values by key.
  private(set) var values: [String: JSONValue] = [:]

  /// No file: every value comes from flags, the environment or defaults.
  init() {}

  /// Reads and checks the file at `path`.
  static func load(_ path: String) throws -> WorkerConfigFile {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
    } catch {
      throw ValidationError("cannot read config file \(path): \(error.localizedDescription)")
    }
    guard data.count <= maximumSize else {
      throw ValidationError("config file \(path) is larger than \(maximumSize) bytes")
    }
    guard case .object(let object)? = try? JSONCoding.decode(JSONValue.self, from: data) else {
      throw ValidationError("config file \(path) is not a JSON object")
    }
    if let unknown = object.keys.sorted().first(where: { WorkerSettings.named($0) == nil }) {
      throw ValidationError("config file \(path): unknown key '\(unknown.prefix(80))'")
    }
    var file = WorkerConfigFile()
    file.path = path
    file.values = object
    return file
  }
}
