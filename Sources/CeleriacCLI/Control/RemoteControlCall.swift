import ArgumentParser
import Celeriac
import Foundation

/// Sends one remote-control request to the workers and prints their replies: Celery's layout
/// (`-> worker: OK` and the reply) by default, one JSON object with `--json`.
struct RemoteControlCall {
  /// The exit status when no worker answered (`EX_UNAVAILABLE`, as `celery inspect`).
  static let noReplyStatus: Int32 = 69

  var method: String
  var arguments: [String: JSONValue] = [:]
  /// Formats one worker's reply for people; the default prints it as indented JSON.
  var describe: (JSONValue) -> [String] = RemoteControlCall.describeJSON

  /// Runs the call; throws ``CommandFailure`` when nobody answered.
  func run(_ options: RemoteControlOptions) throws {
    let open = try options.connection.connect(CeleriacCommandLine.app)
    guard let broker = open.broker as? any RemoteControlling else {
      throw CommandFailure(
        "the broker \(open.broker.redactedURL) has no remote control", code: Self.noReplyStatus)
    }
    let request = ControlRequest(
      method: method, arguments: arguments, destination: options.destinations)
    let replies = try broker.broadcast(
      request, timeout: .seconds(fractional: options.timeout),
      limit: options.destinations?.count
    ).sorted { $0.hostname < $1.hostname }
    if options.json {
      let object = JSONValue.object(
        Dictionary(replies.map { ($0.hostname, $0.reply) }, uniquingKeysWith: { first, _ in first })
      )
      print(try JSONCoding.encodeString(object))
    } else {
      for reply in replies {
        let failed = reply.reply["error"] != nil
        print("-> \(reply.hostname): \(failed ? "ERROR" : "OK")")
        for line in describe(reply.reply) { print("    " + line) }
      }
    }
    guard !replies.isEmpty else {
      throw CommandFailure(
        "no worker replied within \(options.timeout) s", code: Self.noReplyStatus)
    }
    if !options.json, let names = options.destinations {
      let missing = Set(names).subtracting(replies.map(\.hostname))
      if !missing.isEmpty {
        FileHandle.standardError.write(
          Data("celeriac: no reply from \(missing.sorted().joined(separator: ", "))\n".utf8))
      }
    }
  }

  /// A reply as pretty JSON lines; `{"ok": text}` as just the text, `[]` as `- empty -`.
  static func describeJSON(_ reply: JSONValue) -> [String] {
    if case .object(let fields) = reply, fields.count == 1 {
      if let text = fields["ok"]?.stringValue { return [text] }
      if let text = fields["error"]?.stringValue { return ["error: " + text] }
    }
    if case .array(let values) = reply, values.isEmpty { return ["- empty -"] }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(reply) else { return [reply.compactDescription] }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
  }

  /// Task lists (`active`, `reserved`, `scheduled`): one line a task, with its child's pid.
  static func describeTasks(_ reply: JSONValue) -> [String] {
    guard case .array(let tasks) = reply else { return describeJSON(reply) }
    guard !tasks.isEmpty else { return ["- empty -"] }
    return tasks.map { entry in
      let task = entry["request"] ?? entry
      var line = "* \(task["id"]?.stringValue ?? "?") \(task["name"]?.stringValue ?? "?")"
      if let pid = task["worker_pid"]?.intValue { line += " child pid \(pid)" }
      if let started = task["time_start"]?.doubleValue {
        let running = max(0, Date().timeIntervalSince1970 - started)
        line += String(format: " running %.1f s", running)
      }
      if let eta = entry["eta"]?.stringValue { line += " eta \(eta)" }
      if let args = task["args"] { line += " args \(args.compactDescription)" }
      if let kwargs = task["kwargs"], kwargs != .object([:]) {
        line += " kwargs \(kwargs.compactDescription)"
      }
      return line
    }
  }

  /// A list of names (`registered`, `revoked`): one a line.
  static func describeNames(_ reply: JSONValue) -> [String] {
    guard case .array(let names) = reply else { return describeJSON(reply) }
    guard !names.isEmpty else { return ["- empty -"] }
    return names.map { "* " + ($0.stringValue ?? $0.compactDescription) }
  }

  /// `active_queues`: one queue a line.
  static func describeQueues(_ reply: JSONValue) -> [String] {
    guard case .array(let queues) = reply else { return describeJSON(reply) }
    guard !queues.isEmpty else { return ["- empty -"] }
    return queues.map { queue in
      "* \(queue["name"]?.stringValue ?? "?") exchange=\(queue["exchange"]?["name"]?.stringValue ?? "?") routing_key=\(queue["routing_key"]?.stringValue ?? "?")"
    }
  }
}
