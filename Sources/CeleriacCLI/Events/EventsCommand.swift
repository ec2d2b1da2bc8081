import ArgumentParser
import Celeriac
import Foundation

/// `celeriac events [--json] [--filter TEXT]… [--count N] [--duration S]`: the task and worker
/// events of every worker run with `-E` (or after `celeriac control enable-events`), live.
struct EventsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "events",
    abstract: "Follow the task and worker events of workers run with -E, live.",
    discussion: """
      One line an event: time, worker, type, then the task's name and id and what the event \
      says (result, runtime, exception, …); --json prints Celery's event fields instead, one \
      object a line. Python Celery workers' events show too.
      """)

  /// The longest `--duration` accepted (a year).
  static let maximumDuration = 366.0 * 86_400
  /// The most `--filter`s accepted.
  static let maximumFilters = 100
  /// How long one wait for events lasts before checking `--duration` again.
  static let pollInterval: Duration = .milliseconds(250)

  @OptionGroup var connection: ConnectionOptions

  @Flag(help: "One JSON object a line (Celery's event fields, plus the task name).")
  var json = false

  @Option(
    help: ArgumentHelp(
      "Show only events whose type, task name, task id or worker contains TEXT (repeat for any of several).",
      valueName: "text"))
  var filter: [String] = []

  @Option(help: "Stop after this many events are shown.")
  var count: Int?

  @Option(help: "Stop after this many seconds.")
  var duration: Double?

  func validate() throws {
    if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    if let duration {
      let range = SecondsValue(minimum: 0, maximum: Self.maximumDuration, excludesMinimum: true)
      if let problem = range.problem(with: duration, name: "--duration") {
        throw ValidationError(problem)
      }
    }
    guard filter.count <= Self.maximumFilters else {
      throw ValidationError("more than \(Self.maximumFilters) --filter values")
    }
    if filter.contains(where: \.isEmpty) { throw ValidationError("--filter is empty") }
  }

  func run() throws {
    let open = try connection.connect(CeleriacCommandLine.app)
    guard let broker = open.broker as? any EventSubscribing else {
      throw CommandFailure(
        "the broker \(open.broker.redactedURL) carries no events (Redis and SQLite do)", code: 1)
    }
    let subscription = try broker.subscribeEvents()
    defer { subscription.close() }
    FileHandle.standardError.write(
      Data("following events on \(open.broker.redactedURL) (workers need -E)\n".utf8))
    let deadline = duration.map { ContinuousClock.now + .seconds(fractional: $0) }
    var formatter = EventLineFormatter()
    var shown = 0
    while deadline.map({ ContinuousClock.now < $0 }) ?? true {
      for event in try subscription.next(timeout: Self.pollInterval) {
        formatter.note(event)
        guard formatter.matches(event, filters: filter) else { continue }
        // Unbuffered, so a pipe sees each event as it comes.
        FileHandle.standardOutput.write(
          Data(((json ? formatter.json(event) : formatter.text(event)) + "\n").utf8))
        shown += 1
        if let count, shown >= count { return }
      }
    }
  }
}
