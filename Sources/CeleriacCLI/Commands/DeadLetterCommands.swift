import ArgumentParser
import Celeriac
import Foundation

/// `celeriac dead-letters list | show ID | replay ID… | purge`.
struct DeadLettersCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dead-letters", abstract: "List, show, replay or purge dead letters.",
    subcommands: [
      DeadLettersListCommand.self, DeadLettersShowCommand.self, DeadLettersReplayCommand.self,
      DeadLettersPurgeCommand.self,
    ])

  /// The broker, if it administers dead letters (both built-in brokers do).
  static func broker(_ connection: ConnectionOptions) throws -> any DeadLetterAdministering {
    let open = try connection.connect(CeleriacCommandLine.app)
    guard let broker = open.broker as? any DeadLetterAdministering else {
      throw CommandFailure("the broker \(open.broker.redactedURL) keeps no dead letters", code: 1)
    }
    return broker
  }

  /// Checks ids given on the command line.
  static func validate(_ ids: [String]) throws {
    guard !ids.isEmpty else { throw ValidationError("give at least one dead-letter id") }
    guard ids.count <= TaskIDArguments.maximumCount else {
      throw ValidationError("more than \(TaskIDArguments.maximumCount) ids")
    }
    if let bad = ids.first(where: { !DeadLetterLimits.isPlausible($0) }) {
      throw ValidationError("not a dead-letter id: \(bad.prefix(40)) (see dead-letters list)")
    }
  }

  /// An entry as a JSON object (`--json`).
  static func json(_ entry: DeadLetterEntry, payload: Bool) -> JSONValue {
    var fields: [String: JSONValue] = [
      "id": entry.id.map(JSONValue.string) ?? .null,
      "task_id": entry.taskID.map(JSONValue.string) ?? .null,
      "queue": .string(entry.queue), "reason": .string(entry.reason),
      "created": entry.created.map(JSONValue.double) ?? .null,
    ]
    if payload { fields["payload"] = .string(entry.payload) }
    return .object(fields)
  }

  /// When it was dead-lettered, for people.
  static func time(_ entry: DeadLetterEntry) -> String {
    entry.created.map { ISO8601.format(Date(timeIntervalSince1970: $0)) } ?? "?"
  }
}

/// `celeriac dead-letters list [--limit N] [--json]`.
struct DeadLettersListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List dead letters, newest first.")
  /// How many are listed by default.
  static let defaultLimit = 50
  /// The most one listing shows.
  static let maximumLimit = 100_000

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "How many to list (default 50).") var limit = DeadLettersListCommand.defaultLimit
  @Flag(help: "One JSON object a line.") var json = false

  func validate() throws {
    guard (1...Self.maximumLimit).contains(limit) else {
      throw ValidationError("--limit must be 1…\(Self.maximumLimit)")
    }
  }

  func run() throws {
    let entries = try DeadLettersCommand.broker(connection).deadLetters(limit: limit)
    for entry in entries {
      if json {
        print(try JSONCoding.encodeString(DeadLettersCommand.json(entry, payload: false)))
      } else {
        print(
          "\(entry.id ?? "?")  \(DeadLettersCommand.time(entry))  \(entry.queue.isEmpty ? "-" : entry.queue)  task \(entry.taskID ?? "?"): \(entry.reason)"
        )
      }
    }
    if !json && entries.isEmpty { print("no dead letters") }
  }
}

/// `celeriac dead-letters show ID [--json]`: the entry and its message as stored.
struct DeadLettersShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show one dead letter with its original message.")
  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The id from dead-letters list.") var id: String
  @Flag(help: "Print it as one JSON object.") var json = false

  func validate() throws { try DeadLettersCommand.validate([id]) }

  func run() throws {
    guard let entry = try DeadLettersCommand.broker(connection).deadLetter(id: id) else {
      throw CommandFailure("no dead letter \(id)", code: 2)
    }
    if json {
      print(try JSONCoding.encodeString(DeadLettersCommand.json(entry, payload: true)))
      return
    }
    print("id: \(entry.id ?? id)")
    print("task id: \(entry.taskID ?? "?")")
    print("queue: \(entry.queue.isEmpty ? "-" : entry.queue)")
    print("dead-lettered: \(DeadLettersCommand.time(entry))")
    print("reason: \(entry.reason)")
    print("message:")
    print(entry.payload)
  }
}

/// `celeriac dead-letters replay ID…`: the original messages back on their queues.
struct DeadLettersReplayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "replay",
    abstract: "Re-publish dead letters' original messages, unchanged, on their queues.")
  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "Ids from dead-letters list.") var ids: [String]

  func validate() throws { try DeadLettersCommand.validate(ids) }

  func run() throws {
    let replayed = try DeadLettersCommand.broker(connection).replayDeadLetters(ids)
    for id in replayed { print("replayed \(id)") }
    let missing = Set(ids.map { $0.lowercased() }).subtracting(replayed.map { $0.lowercased() })
    if !missing.isEmpty {
      throw CommandFailure(
        "not replayed (no such dead letter, or it names no queue): \(missing.sorted().joined(separator: ", "))",
        code: 2)
    }
  }
}

/// `celeriac dead-letters purge`.
struct DeadLettersPurgeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "purge", abstract: "Delete every dead letter.")
  @OptionGroup var connection: ConnectionOptions

  func run() throws {
    print("purged \(try DeadLettersCommand.broker(connection).purgeDeadLetters()) dead letters")
  }
}
