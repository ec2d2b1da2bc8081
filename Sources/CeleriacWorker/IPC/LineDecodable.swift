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
