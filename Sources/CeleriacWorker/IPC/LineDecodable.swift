import CeleriacCore

/// A message with a fast path from a parsed line (``JSONParser``) for the forms that come once
/// per task; ``LineChannel`` tries it first and falls back to `Codable` when it answers `nil`,
/// so the two always agree on what a line means.
public protocol LineDecodable: Decodable {
  /// The message of `line`, or `nil` to let `Codable` decode it.
  static func decodeFast(_ line: JSONValue) -> Self?
}

extension ChildEvent: LineDecodable {
  /// `heartbeat`, `ready` and a successful `finished` (the line every task ends with) read
  /// straight from the parsed line, in the shape the synthesized `Codable` conformance writes
  /// (`{"finished":{"tag":…,"outcome":{"success":{"_0":…}},"rssKiB":…}}`); every other form
  /// goes through `Codable`.
  public static func decodeFast(_ line: JSONValue) -> ChildEvent? {
    guard case .object(let event) = line, event.count == 1, let (kind, payload) = event.first,
      case .object(let fields) = payload
    else { return nil }
    switch kind {
    case "heartbeat" where fields.isEmpty:
      return .heartbeat
    case "ready":
      guard fields.count == 1, let pid = fields["pid"]?.intValue, let pid = Int32(exactly: pid)
      else { return nil }
      return .ready(pid: pid)
    case "finished":
      guard fields.count == 3, case .string(let tag)? = fields["tag"],
        let rss = fields["rssKiB"]?.intValue, let rssKiB = Int(exactly: rss),
        case .object(let outcome)? = fields["outcome"], outcome.count == 1,
        case .object(let success)? = outcome["success"], success.count == 1,
        let value = success["_0"]
      else { return nil }
      return .finished(tag: tag, outcome: .success(value), rssKiB: rssKiB)
    default:
      return nil
    }
  }
}

/// A message with a fast path to its line (``JSONWriter``) for the forms that come once per
/// task; ``LineChannel`` falls back to `Codable` when it answers `nil`. The line must decode,
/// with `Codable`, to the same message.
public protocol LineEncodable: Encodable {
  /// The JSON of the message (without the newline), or `nil` to let `Codable` encode it.
  var fastLine: String? { get }
}

extension ChildEvent: LineEncodable {
  /// A successful `finished` written by ``JSONWriter``, in the synthesized `Codable` shape; a
  /// value holding a number JSON cannot write (NaN, an infinity) goes through `Codable`, which
  /// refuses it as before.
  public var fastLine: String? {
    guard case .finished(let tag, .success(let value), let rssKiB) = self, value.isAllFinite
    else { return nil }
    var writer = JSONWriter(capacity: 128)
    writer.text.append(#"{"finished":{"tag":"#)
    writer.writeString(tag)
    writer.text.append(#","outcome":{"success":{"_0":"#)
    writer.write(value)
    writer.text.append(#"}},"rssKiB":"#)
    writer.text.append(String(rssKiB))
    writer.text.append("}}")
    return writer.text
  }
}

extension SupervisorCommand: LineDecodable {
  /// `run` read straight from the parsed line (see ``TaskMessage/init(jsonValue:)``); anything
  /// else, or a run of another shape, goes through `Codable`.
  public static func decodeFast(_ line: JSONValue) -> SupervisorCommand? {
    guard case .object(let command) = line, command.count == 1,
      case .object(let run)? = command["run"], run.count == 1,
      case .object(let fields)? = run["_0"], case .string(let tag)? = fields["tag"],
      let messageJSON = fields["message"], let message = TaskMessage(jsonValue: messageJSON)
    else { return nil }
    let softTimeLimit: Double?
    switch fields["softTimeLimit"] {
    case nil: softTimeLimit = nil
    case .int(let seconds)?: softTimeLimit = Double(seconds)
    case .double(let seconds)?: softTimeLimit = seconds
    default: return nil
    }
    guard fields.count == (softTimeLimit == nil ? 2 : 3) else { return nil }
    return .run(RunRequest(tag: tag, message: message, softTimeLimit: softTimeLimit))
  }
}

extension JSONValue {
  /// Whether every number in the value is finite (JSON can write it).
  var isAllFinite: Bool {
    switch self {
    case .double(let number): return number.isFinite
    case .array(let elements): return elements.allSatisfy(\.isAllFinite)
    case .object(let members): return members.values.allSatisfy(\.isAllFinite)
    case .null, .bool, .int, .string: return true
    }
  }
}
