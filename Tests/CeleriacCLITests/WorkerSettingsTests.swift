import Foundation
import Testing

@testable import CeleriacCLI
@testable import CeleriacWorker

/// The worker settings schema: one declaration per setting drives the flags, the environment,
/// the config file, the checks and the README.
@Suite("Worker settings")
struct WorkerSettingsTests {
  /// Parses `arguments` as `celeriac worker` would and resolves them with `environment` and a
  /// config file holding `file` (a JSON object's text), if given.
  static func resolve(
    _ arguments: [String], environment: [String: String] = [:], file: String? = nil
  ) throws -> ResolvedWorkerSettings {
    var arguments = arguments
    var path: String?
    if let file {
      let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("celeriac-settings-\(UUID().uuidString).json")
      try Data(file.utf8).write(to: url)
      path = url.path
      arguments += ["--config", url.path]
    }
    defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
    let command = try WorkerCommand.parse(arguments)
    let flags = WorkerFlags(command.optionGroups)
    let config = try flags.config.map(WorkerConfigFile.load) ?? WorkerConfigFile()
    return try WorkerSettings.resolve(flags: flags, environment: environment, file: config)
  }

  /// The message of the error `body` throws, or `nil` if it throws none.
  static func failure(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch {
      return "\(error)"
    }
  }

  @Test("with nothing given, every setting has its default")
  func defaults() throws {
    let settings = try Self.resolve([])
    let configuration = settings.configuration
    #expect(configuration.pools.map(\.queues) == [["celery"]])
    #expect(configuration.pools[0].minimum == WorkerConfiguration.defaultConcurrency)
    #expect(configuration.prefetchMultiplier == WorkerConfiguration.defaultPrefetchMultiplier)
    #expect(configuration.childTimeout == WorkerConfiguration.defaultChildTimeout)
    #expect(configuration.restart == .standard)
    #expect(configuration.hostname == WorkerConfiguration.defaultHostname())
    #expect(settings.broker == nil && settings.backend == nil)
    #expect(settings.logLevel == .info && settings.logFormat == .text)
    #expect(settings.metricsPort == nil && !configuration.recordsMetrics)
  }

  @Test("the config file's broker, backend and loglevel take effect")
  func fileConnectionAndLogging() throws {
    let settings = try Self.resolve(
      [],
      file:
        #"{"broker": "redis://127.0.0.1:6390/3", "backend": "sqlite://r.db", "loglevel": "WARN"}"#
    )
    #expect(settings.broker == "redis://127.0.0.1:6390/3")
    #expect(settings.backend == "sqlite://r.db")
    #expect(settings.logLevel == .warning)
    let urls = settings.connection.configuration(base: .init())
    #expect(urls.brokerURL == "redis://127.0.0.1:6390/3" && urls.backendURL == "sqlite://r.db")
  }

  @Test("a flag beats the config file, which beats the environment (a unit's defaults)")
  func precedence() throws {
    let file = #"{"concurrency": 3, "queues": ["a", "b"], "broker": "redis://127.0.0.1:1/0"}"#
    let environment = [
      "CELERIAC_CONCURRENCY": "4", "CELERIAC_HOSTNAME": "from-env",
      "CELERIAC_BROKER_URL": "sqlite:///var/lib/celeriac/celeriac.db", "CELERIAC_LOGLEVEL": "",
    ]
    let fromEnvironment = try Self.resolve([], environment: environment)
    #expect(fromEnvironment.configuration.pools.allSatisfy { $0.maximum == 4 })
    #expect(fromEnvironment.configuration.hostname == "from-env")
    #expect(fromEnvironment.logLevel == .info, "an empty variable is unset")
    let fromFile = try Self.resolve([], environment: environment, file: file)
    #expect(fromFile.configuration.pools.map(\.queues) == [["a"], ["b"]])
    #expect(fromFile.configuration.pools.allSatisfy { $0.maximum == 3 })
    #expect(fromFile.broker == "redis://127.0.0.1:1/0", "the unit's default broker won")
    #expect(fromFile.configuration.hostname == "from-env", "the file does not set it")
    let fromFlag = try Self.resolve(["-c", "5", "-Q", "x"], environment: environment, file: file)
    #expect(fromFlag.configuration.pools.map(\.queues) == [["x"]])
    #expect(fromFlag.configuration.pools[0].maximum == 5)
  }

  /// Valid values for every setting, from the config file: each one is read, checked and
  /// applied (a declaration whose kind and `apply` disagree would trap here).
  @Test("every setting can be set from the config file")
  func everySettingFromFile() throws {
    var object: [String] = []
    for setting in WorkerSettings.all {
      let value =
        switch setting.kind {
        case .count(let range): "\(max(range.lowerBound, 1))"
        case .seconds: "2.5"
        case .text:
          setting.key == "metrics-address"
            ? #""127.0.0.1""# : setting.key == "broker" ? #""sqlite://b.db""# : #""x""#
        case .choice(let words): "\"\(words[0])\""
        case .names: #"["q1", "q2"]"#
        case .repeated: #"["3,1"]"#
        case .flag: "true"
        }
      object.append("\"\(setting.key)\": \(value)")
    }
    let settings = try Self.resolve([], file: "{" + object.joined(separator: ", ") + "}")
    #expect(settings.configuration.pools.map(\.queues) == [["q1"], ["q2"]])
    #expect(settings.configuration.pools.allSatisfy { $0.minimum == 1 && $0.maximum == 3 })
    #expect(settings.configuration.lease == .milliseconds(2_500))
    #expect(settings.configuration.sendsTaskEvents)
    #expect(settings.metricsPort == 1 && settings.configuration.recordsMetrics == false)
  }

  /// Bad values from each source, and the error that must name the setting.
  static let badValues: [(String, [String], [String: String], String?, String)] = [
    ("zero children", ["-c", "0"], [:], nil, "--concurrency must be a whole number from 1"),
    ("children not a number", ["-c", "two"], [:], nil, "--concurrency must be a whole number"),
    (
      "children from the environment", [], ["CELERIAC_CONCURRENCY": "1e9"], nil,
      "CELERIAC_CONCURRENCY must be a whole number"
    ),
    ("children from the file", [], [:], #"{"concurrency": 2.5}"#, "'concurrency' must be a whole"),
    ("NaN lease", ["--lease", "nan"], [:], nil, "--lease must be a number of seconds above 0"),
    (
      "negative lease in the file", [], [:], #"{"lease": -1}"#,
      "'lease' must be a number of seconds"
    ),
    ("empty queue", ["-Q", "a,,b"], [:], nil, "--queues has an empty name"),
    ("queue list of numbers", [], [:], #"{"queues": [1]}"#, "'queues' must be a comma-separated"),
    ("unknown key", [], [:], #"{"concurency": 2}"#, "unknown key 'concurency'"),
    ("not an object", [], [:], "[1]", "is not a JSON object"),
    ("bad log level", ["-l", "loud"], [:], nil, "--loglevel must be one of"),
    (
      "bad log format in the file", [], [:], #"{"log-format": "xml"}"#,
      "'log-format' must be one of"
    ),
    (
      "events not a switch", [], [:], #"{"task-events": "yes"}"#,
      "'task-events' must be true or false"
    ),
    ("autoscale order", ["--autoscale", "1,4"], [:], nil, "Celery's order is MAX,MIN"),
    (
      "autoscale unknown queue", ["--autoscale", "z=4,1"], [:], nil, "queue 'z' is not in --queues"
    ),
    (
      "backoff max below min", ["--restart-backoff-min", "5", "--restart-backoff-max", "1"], [:],
      nil, "--restart-backoff-max"
    ),
    ("port out of range", ["--metrics-port", "70000"], [:], nil, "--metrics-port must be a whole"),
    (
      "bad address", ["--metrics-address", "localhost"], [:], nil,
      "--metrics-address must be an IPv4"
    ),
    (
      "negative dead-letter limit", ["--dead-letter-limit=-1"], [:], nil,
      "--dead-letter-limit must be a whole number of at least 0, not '-1'"
    ),
  ]

  @Test("a bad value is refused with an error naming the setting", arguments: badValues)
  func badValue(
    _ name: String, _ arguments: [String], _ environment: [String: String], _ file: String?,
    _ expected: String
  ) {
    let message = Self.failure {
      _ = try Self.resolve(arguments, environment: environment, file: file)
    }
    #expect(message?.contains(expected) == true, "\(name): \(message ?? "accepted")")
  }

  @Test("every setting is a flag of celeriac worker, with its declared help")
  func flagsComeFromTheDeclarations() {
    let help = WorkerCommand.helpMessage(columns: 10_000)
    for setting in WorkerSettings.all {
      #expect(help.contains(setting.flagName), "\(setting.key) has no flag")
      #expect(help.contains(setting.summary), "\(setting.key)'s help is not its summary")
    }
    #expect(Set(WorkerSettings.all.map(\.key)).count == WorkerSettings.all.count)
  }

  @Test("the README's settings table is the one the declarations make")
  func readmeTable() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let begin = try #require(readme.range(of: "<!-- worker-settings:begin -->\n"))
    let end = try #require(readme.range(of: "<!-- worker-settings:end -->"))
    #expect(
      String(readme[begin.upperBound..<end.lowerBound]) == WorkerSettings.markdownTable(),
      "run `celeriac settings --markdown` and paste the table into README.md")
  }
}
