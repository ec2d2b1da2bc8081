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
  /// straight from the parsed line, in the wire form of `ChildProtocol+Codable.swift`
  /// (`{"type":"finished","tag":…,"outcome":{"type":"success","value":…},"rssKiB":…}`); every
  /// other form goes through `Codable`.
  public static func decodeFast(_ line: JSONValue) -> ChildEvent? {
    guard case .object(let fields) = line, case .string(let type)? = fields["type"] else {
      return nil
    }
    switch Kind(rawValue: type) {
    case .heartbeat where fields.count == 1:
      return .heartbeat
    case .ready:
      guard fields.count == 2, let pid = fields["pid"]?.intValue, let pid = Int32(exactly: pid)
      else { return nil }
      return .ready(pid: pid)
    case .finished:
      guard fields.count == 4, case .string(let tag)? = fields["tag"],
        let rss = fields["rssKiB"]?.intValue, let rssKiB = Int(exactly: rss),
        case .object(let outcome)? = fields["outcome"], outcome.count == 2,
        outcome["type"] == .string(TaskOutcome.Kind.success.rawValue),
        let value = outcome["value"]
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
  /// A successful `finished` written by ``JSONWriter``, in the wire form of the `Codable`
  /// conformance; a value holding a number JSON cannot write (NaN, an infinity) goes through
  /// `Codable`, which refuses it as before.
  public var fastLine: String? {
    guard case .finished(let tag, .success(let value), let rssKiB) = self, value.isAllFinite
    else { return nil }
    var writer = JSONWriter(capacity: 128)
    writer.appendRaw(#"{"type":"finished","tag":"#)
    writer.writeString(tag)
    writer.appendRaw(#","outcome":{"type":"success","value":"#)
    writer.write(value)
    writer.appendRaw(#"},"rssKiB":"#)
    writer.writeInteger(Int64(rssKiB))
    writer.appendRaw("}")
    return writer.text
  }
}

extension SupervisorCommand: LineDecodable {
  /// `run` read straight from the parsed line (see ``TaskMessage/init(jsonValue:)``); anything
  /// else, or a run of another shape, goes through `Codable`.
  public static func decodeFast(_ line: JSONValue) -> SupervisorCommand? {
    guard case .object(let fields) = line, fields["type"] == .string(Kind.run.rawValue),
      case .string(let tag)? = fields["tag"], let messageJSON = fields["message"],
      let message = TaskMessage(jsonValue: messageJSON)
    else { return nil }
    let softTimeLimit: Double?
    switch fields["softTimeLimit"] {
    case nil: softTimeLimit = nil
    case .int(let seconds)?: softTimeLimit = Double(seconds)
    case .double(let seconds)?: softTimeLimit = seconds
    default: return nil
    }
    guard fields.count == (softTimeLimit == nil ? 3 : 4) else { return nil }
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
