import ArgumentParser
import Celeriac
import Foundation

/// `celeriac send NAME ARGS… [--wait]`.
struct SendCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "send",
    abstract: "Send a task; print its id, or with --wait its result.",
    discussion: "Each argument is read as JSON when it parses (2, \"x\", [1,2]), else as a string.")

  @OptionGroup var connection: ConnectionOptions

  @Argument(help: "The task name, e.g. tasks.add.") var name: String
  @Argument(help: "Positional arguments.") var args: [String] = []

  @Option(help: "Keyword arguments as a JSON object.") var kwargs: String?
  @Option(name: [.customShort("q"), .long], help: "The queue (default: the task's).") var queue:
    String?
  @Option(help: "Run no sooner than this many seconds from now.") var countdown: Double?
  @Option(help: "Revoke if not started within this many seconds.") var expires: Double?
  @Option(help: "Send only once while a task with this key is known.") var idempotencyKey: String?
  @Option(help: "The priority, 0 to 9; lower runs first (Celery on Redis).") var priority: Int?
  @Option(help: "Send the same task this many times in one batch (prints every id).") var count:
    Int = 1
  @Flag(help: "Wait for the result and print it.") var wait = false
  @Option(help: "Seconds to wait with --wait.") var timeout: Double = 30

  /// The most tasks one `--count` may send.
  static let maximumCount = 1_000_000

  func validate() throws {
    for (value, name) in [(countdown, "--countdown"), (expires, "--expires")] {
      if let value, let problem = SecondsValue.delay.problem(with: value, name: name) {
        throw ValidationError(problem)
      }
    }
    if let problem = SecondsValue.positive.problem(with: timeout, name: "--timeout") {
      throw ValidationError(problem)
    }
    if let priority, let problem = TaskPriority.problem(with: priority) {
      throw ValidationError("--\(problem)")
    }
    guard (1...Self.maximumCount).contains(count) else {
      throw ValidationError("--count must be from 1 to \(Self.maximumCount), got \(count)")
    }
  }

  func run() throws {
    let app = CeleriacCommandLine.app
    let open = try connection.connect(app)
    var keywordArguments: [String: JSONValue] = [:]
    if let kwargs {
      guard case .object(let object)? = try? JSONCoding.decode(JSONValue.self, from: kwargs) else {
        throw ValidationError("--kwargs must be a JSON object, got '\(kwargs)'")
      }
      keywordArguments = object
    }
    let positional = args.map { text in
      (try? JSONCoding.decode(JSONValue.self, from: text)) ?? .string(text)
    }
    let options = SendOptions(
      queue: queue, countdown: countdown.map { .seconds(fractional: $0) },
      expires: expires.map { Date().addingTimeInterval($0) }, idempotencyKey: idempotencyKey,
      priority: priority)
    if idempotencyKey != nil {
      let message = app.makeMessage(
        name, args: positional, kwargs: keywordArguments, options: options)
      try finish(taskID: try app.publish(message).id, backend: open.backend)
      return
    }
    let messages = (0..<count).map { _ in
      app.makeMessage(name, args: positional, kwargs: keywordArguments, options: options)
    }
    try open.broker.publish(messages)
    if count > 1 && !wait {
      print(messages.map(\.id).joined(separator: "\n"))
      return
    }
    for message in messages { try finish(taskID: message.id, backend: open.backend) }
  }

  private func finish(taskID: String, backend: any ResultBackend) throws {
    guard wait else {
      print(taskID)
      return
    }
    let record = try backend.waitForResult(taskID, timeout: .seconds(fractional: timeout))
    try ResultPrinter.printValue(of: record, taskID: taskID, timeout: timeout)
  }
}

/// Prints results the way `send --wait` and `result` share.
enum ResultPrinter {
  /// Prints the value of a ready SUCCESS; throws a one-line error otherwise.
  static func printValue(of record: TaskResultRecord?, taskID: String, timeout: Double) throws {
    guard let record, record.state.isReady else {
      throw CommandFailure(
        "task \(taskID) is not ready after \(timeout) s (state \(record?.state ?? .pending))",
        code: 2)
    }
    switch record.state {
    case .success: print((record.result ?? .null).compactDescription)
    case .failure:
      throw CommandFailure(
        "task \(taskID) failed: \(record.failure?.description ?? "unknown error")", code: 1)
    default: throw CommandFailure("task \(taskID) was \(record.state)", code: 1)
    }
  }
}

/// An error that prints one line on stderr and exits with `code`.
struct CommandFailure: Error, CustomStringConvertible {
  let description: String
  let code: Int32
  init(_ description: String, code: Int32) {
    self.description = description
    self.code = code
  }
}
