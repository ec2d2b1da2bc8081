import CeleriacCore

/// A message with a fast path from the bytes of a line (``JSONParser``'s pull reader) for the
/// forms that come once per task; ``LineChannel`` tries it first and falls back to `Codable`
/// when it answers `nil`, so the two always agree on what a line means. A fast path answers
/// `nil` for anything but the exact shape it knows (a repeated or unknown member included).
public protocol LineDecodable: Decodable {
  /// The message of `line` (its JSON, without the newline), or `nil` to let `Codable` decode
  /// it.
  static func decodeFast(_ line: UnsafeBufferPointer<UInt8>) -> Self?
}

extension LineDecodable {
  /// ``decodeFast(_:)`` of a line's text.
  public static func decodeFast(line: String) -> Self? {
    var line = line
    return line.withUTF8 { decodeFast($0) }
  }
}

extension ChildEvent: LineDecodable {
  /// The members of a line, as read.
  private struct Members {
    var count = 0
    var type: JSONValue?
    var tag: JSONValue?
    var pid: JSONValue?
    var rssKiB: JSONValue?
    var outcomeIsObject = false
    var outcomeCount = 0
    var outcomeType: JSONValue?
    var value: JSONValue?
  }

  /// `heartbeat`, `ready` and a successful `finished` (the line every task ends with) read
  /// straight from the line's bytes, in the wire form of `ChildProtocol+Codable.swift`
  /// (`{"type":"finished","tag":…,"outcome":{"type":"success","value":…},"rssKiB":…}`); every
  /// other form goes through `Codable`.
  public static func decodeFast(_ line: UnsafeBufferPointer<UInt8>) -> ChildEvent? {
    var members = Members()
    let isObject = try? JSONParser.read(line) { (parser) throws(JSONParseError) -> Bool in
      try parser.readObject { (key, parser) throws(JSONParseError) in
        members.count += 1
        if key.equals("type") {
          members.type = try parser.readValue()
        } else if key.equals("tag") {
          members.tag = try parser.readValue()
        } else if key.equals("pid") {
          members.pid = try parser.readValue()
        } else if key.equals("rssKiB") {
          members.rssKiB = try parser.readValue()
        } else if key.equals("outcome") {
          members.outcomeIsObject = try parser.readObject { (key, parser) throws(JSONParseError) in
            members.outcomeCount += 1
            if key.equals("type") {
              members.outcomeType = try parser.readValue()
            } else if key.equals("value") {
              members.value = try parser.readValue()
            }
          }
        }
      }
    }
    guard isObject == true, case .string(let type)? = members.type else { return nil }
    switch Kind(rawValue: type) {
    case .heartbeat where members.count == 1:
      return .heartbeat
    case .ready:
      guard members.count == 2, let pid = members.pid?.intValue, let pid = Int32(exactly: pid)
      else { return nil }
      return .ready(pid: pid)
    case .finished:
      guard members.count == 4, case .string(let tag)? = members.tag,
        let rss = members.rssKiB?.intValue, let rssKiB = Int(exactly: rss),
        members.outcomeIsObject, members.outcomeCount == 2,
        members.outcomeType == .string(TaskOutcome.Kind.success.rawValue),
        let value = members.value
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
  /// `run` read straight from the line's bytes (the message through
  /// ``TaskMessage/read(from:)``); anything else, or a run of another shape, goes through
  /// `Codable`.
  public static func decodeFast(_ line: UnsafeBufferPointer<UInt8>) -> SupervisorCommand? {
    var count = 0
    var type: JSONValue?
    var tag: JSONValue?
    var message: TaskMessage?
    var softTimeLimit: JSONValue?
    let isObject = try? JSONParser.read(line) { (parser) throws(JSONParseError) -> Bool in
      try parser.readObject { (key, parser) throws(JSONParseError) in
        count += 1
        if key.equals("type") {
          type = try parser.readValue()
        } else if key.equals("tag") {
          tag = try parser.readValue()
        } else if key.equals("message") {
          message = try TaskMessage.read(from: &parser)
        } else if key.equals("softTimeLimit") {
          softTimeLimit = try parser.readValue()
        }
      }
    }
    guard isObject == true, type == .string(Kind.run.rawValue), case .string(let tag)? = tag,
      let message
    else { return nil }
    let seconds: Double?
    switch softTimeLimit {
    case nil: seconds = nil
    case .int(let value)?: seconds = Double(value)
    case .double(let value)?: seconds = value
    default: return nil
    }
    guard count == (seconds == nil ? 3 : 4) else { return nil }
    return .run(RunRequest(tag: tag, message: message, softTimeLimit: seconds))
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
