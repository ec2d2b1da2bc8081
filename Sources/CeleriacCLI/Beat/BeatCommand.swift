import ArgumentParser
import Celeriac
import CeleriacWorker
import Foundation
import Logging

/// `celeriac beat`: the periodic scheduler, and the commands that manage dynamic entries.
struct BeatCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "beat",
    abstract: "Run the periodic scheduler, or list and change its entries.",
    discussion: """
      Any number of beats may run against one broker: one leads (a lease in the broker) and \
      each due time is published exactly once. Signals: TERM/INT stop; HUP re-reads the \
      schedule file (a bad file keeps the old schedule).
      """,
    subcommands: [
      BeatStartCommand.self, BeatListCommand.self, BeatAddCommand.self, BeatRemoveCommand.self,
      BeatSetEnabledCommand<BeatEnable>.self, BeatSetEnabledCommand<BeatDisable>.self,
      BeatRunNowCommand.self,
    ],
    defaultSubcommand: BeatStartCommand.self)
}

/// `celeriac beat [start] --schedule FILE`: runs the scheduler.
struct BeatStartCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "start", abstract: "Run the scheduler (the default).")

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var logging: LoggingOptions
  @OptionGroup var beat: BeatOptions

  func run() throws {
    let app = CeleriacCommandLine.app
    let configuration = try beat.configuration()
    let (level, format) = try logging.resolved()
    LoggingBootstrap.bootstrap(level: level, format: format)
    let logger = Logger(label: "celeriac.beat")
    let schedule = try beat.loadSchedule(app: app)
    let signals = try SignalQueue.install()
    let store = try connection.connectBeatStore(app)
    let scheduler = BeatScheduler(
      schedule: schedule, store: store, configuration: configuration,
      makeMessage: { app.beatMessage(for: $0, due: $1) })
    let options = beat
    let notifier = SystemdNotifier()
    if let reason = notifier.unavailableReason {
      logger.error("systemd started beat but cannot be told of it: \(reason)")
    }
    let runner = BeatRunner(
      scheduler: scheduler, logger: logger, notifier: notifier,
      reloadSchedule: { try options.loadSchedule(app: app) })
    let brokerURL = try app.connection().broker.redactedURL
    logger.info(
      "beat \(configuration.holder): \(schedule.entries.count) file entries, broker \(brokerURL)")
    switch runner.start() {
    case .failure(let failure): throw failure
    case .success(let first): runner.run(after: first, signals: signals)
    }
  }
}

/// `celeriac beat list`: every entry with origin, enabled, last and next run.
struct BeatListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List the entries: origin, enabled, last run, next run.")

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var beat: BeatOptions

  func run() throws {
    let app = CeleriacCommandLine.app
    let schedule = try beat.loadSchedule(app: app)
    let store = try connection.connectBeatStore(app)
    let catalog = BeatCatalog(static: schedule.entries, stored: try store.storedEntries())
    let runs = try store.lastRuns()
    let leader = try store.leader()
    print(
      "leader: \(leader.map { "\($0.holder) (lease until \(ISO8601.format($0.expires)))" } ?? "none")"
    )
    let now = Date()
    for item in catalog.items {
      let entry = item.entry
      let last = runs[entry.name]
      let next = item.enabled ? entry.nextDue(after: max(last ?? now, now)) : nil
      let columns = [
        entry.name, item.origin.rawValue, item.enabled ? "enabled" : "disabled", entry.task,
        entry.triggerDescription, "last=\(last.map(ISO8601.format) ?? "never")",
        "next=\(next.map(ISO8601.format) ?? "-")",
      ]
      print(columns.joined(separator: "  "))
    }
    for name in catalog.shadowed {
      print("\(name)  dynamic  ignored: a schedule entry has this name")
    }
  }
}

/// `celeriac beat add NAME TASK ARGS… (--every S | --cron EXPR)`: stores a dynamic entry.
struct BeatAddCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add", abstract: "Add (or replace) a dynamic entry stored in the broker.",
    discussion: "Each argument is read as JSON when it parses, else as a string (as in send).")

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The entry's name.") var name: String
  @Argument(help: "The task name, e.g. tasks.add.") var task: String
  @Argument(help: "Positional arguments.") var args: [String] = []
  @Option(help: "Keyword arguments as a JSON object.") var kwargs: String?
  @Option(help: "Every this many seconds (fractions allowed).") var every: Double?
  @Option(help: "A crontab expression: minute hour day-of-month month day-of-week.") var cron:
    String?
  @Option(help: "The IANA time zone of --cron (default UTC).") var timezone: String?
  @Option(name: [.customShort("q"), .long], help: "The queue (default: the task's).") var queue:
    String?
  @Option(help: "What to do with missed due times: once (default) or skip.") var missedRuns: String?
  @Option(help: "No due time before this ISO 8601 time.") var start: String?
  @Option(help: "No due time after this ISO 8601 time.") var end: String?
  @Option(help: "Revoke a published task not started this many seconds after its due time.")
  var expires: Double?

  func run() throws {
    var object: [String: JSONValue] = ["name": .string(name), "task": .string(task)]
    object["args"] = .array(
      args.map { (try? JSONCoding.decode(JSONValue.self, from: $0)) ?? .string($0) })
    if let kwargs {
      guard case .object(let value)? = try? JSONCoding.decode(JSONValue.self, from: kwargs) else {
        throw ValidationError("--kwargs must be a JSON object, got '\(kwargs)'")
      }
      object["kwargs"] = .object(value)
    }
    if let every { object["every"] = .double(every) }
    if let cron { object["cron"] = .string(cron) }
    if let timezone { object["timezone"] = .string(timezone) }
    if let queue { object["queue"] = .string(queue) }
    if let missedRuns { object["missed_runs"] = .string(missedRuns) }
    if let start { object["start"] = .string(start) }
    if let end { object["end"] = .string(end) }
    if let expires { object["expires"] = .double(expires) }
    let entry = try ScheduleEntry(json: .object(object))
    let store = try connection.connectBeatStore(CeleriacCommandLine.app)
    try store.saveEntry(entry)
    print("added \(entry.name): \(entry.task) \(entry.triggerDescription)")
  }
}

/// `celeriac beat remove NAME`.
struct BeatRemoveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "remove", abstract: "Remove a dynamic entry (and any enable/disable override).")

  @OptionGroup var entry: BeatEntryArgument

  func run() throws {
    guard try entry.store().removeEntry(named: entry.name) else {
      throw BeatError(.unknownEntry, entry: entry.name, "no dynamic entry has this name")
    }
    print("removed \(entry.name)")
  }
}

/// Whether ``BeatSetEnabledCommand`` enables or disables.
protocol BeatEnabledSetting {
  /// `true` for `enable`, `false` for `disable`.
  static var enabled: Bool { get }
}

/// `celeriac beat enable NAME`.
enum BeatEnable: BeatEnabledSetting { static let enabled = true }
/// `celeriac beat disable NAME`.
enum BeatDisable: BeatEnabledSetting { static let enabled = false }

/// `celeriac beat enable NAME` and `celeriac beat disable NAME`: the entry's enabled override.
struct BeatSetEnabledCommand<Setting: BeatEnabledSetting>: ParsableCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      commandName: Setting.enabled ? "enable" : "disable",
      abstract:
        "\(Setting.enabled ? "Enable" : "Disable") an entry (dynamic or from a schedule file).")
  }

  @OptionGroup var entry: BeatEntryArgument

  func run() throws {
    try entry.store().setEnabled(Setting.enabled, forEntryNamed: entry.name)
    print("\(Setting.enabled ? "enabled" : "disabled") \(entry.name)")
  }
}

/// `celeriac beat run NAME`: publishes an entry's task now, outside its schedule.
struct BeatRunNowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Publish an entry's task now (its schedule is unchanged).")

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var beat: BeatOptions
  @Argument(help: "The entry's name.") var name: String

  func run() throws {
    let app = CeleriacCommandLine.app
    let schedule = try beat.loadSchedule(app: app)
    let store = try connection.connectBeatStore(app)
    let catalog = BeatCatalog(static: schedule.entries, stored: try store.storedEntries())
    guard let item = catalog[name] else {
      throw BeatError(.unknownEntry, entry: name, "no entry has this name")
    }
    let message = app.beatMessage(for: item.entry, due: Date())
    try app.connection().broker.publish([message])
    print(message.id)
  }
}

extension ConnectionOptions {
  /// Applies the flags to the app and opens beat's store in its broker.
  func connectBeatStore(_ app: CeleriacApp) throws -> any BeatStore {
    _ = try connect(app)
    return try app.beatStore()
  }
}
