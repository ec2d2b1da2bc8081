import CeleriacCore
import Foundation

/// Makes hostile task messages from valid ones, for fuzz tests of every path that reads a
/// message from outside: Celery protocol 2 strings (Redis) and Celeriac's stored JSON (SQLite).
///
/// Each mutated message gets a fresh task id first (`fuzz-<n>-<uuid>`), so that a test can tell
/// what became of each one; most mutations then change one part (a header set to a hostile
/// value, the body or embed replaced, a key removed), and a few damage the bytes themselves.
public struct MessageMutator {
  private var generator: SeededGenerator
  private var counter = 0

  /// A mutator whose choices follow `seed`.
  public init(seed: UInt64) {
    generator = SeededGenerator(seed: seed)
  }

  /// Values that break naive conversions: out-of-range, fractional and huge numbers, wrong
  /// types, deep nesting.
  public static let hostileValues: [JSONValue] = [
    .double(1e13), .double(1e20), .double(-1e20), .double(1.7976931348623157e308), -1, 0,
    .int(Int64.max), .int(Int64.min), .double(0.5), .double(-0.0), "", "nan", "inf",
    "1e400", "9999-99-99T99:99:99", "2026-13-45T25:61:61+99:99", "10000-01-01T00:00:00",
    .null, true, [], [.double(1e13), .null], [.null, .double(-5)], ["a", "b", "c"],
    .object(["x": .array([.array([.array([.array([1])])])])]),
    .string(String(repeating: "x", count: 4_096)),
  ]

  static let celeryHeaders = [
    "task", "id", "eta", "expires", "retries", "timelimit", "root_id", "parent_id", "group",
    "ignore_result", "celeriac_acks_late", "celeriac_max_redeliveries", "celeriac_redeliveries",
    "celeriac_reject_on_worker_lost", "lang", "argsrepr",
  ]

  /// The next task id this mutator hands out.
  private mutating func nextID() -> String {
    counter += 1
    return "fuzz-\(counter)-\(UUID().lowercasedText.prefix(8))"
  }

  private mutating func pick<T>(_ values: [T]) -> T {
    values[Int.random(in: 0..<values.count, using: &generator)]
  }

  // MARK: - Celery protocol 2

  /// A mutation of the Celery message `raw` (a kombu JSON envelope), with its fresh id.
  public mutating func mutateCelery(_ raw: String) -> (id: String, raw: String) {
    let id = nextID()
    guard case .object(var envelope)? = try? JSONCoding.decode(JSONValue.self, from: raw),
      case .object(var headers)? = envelope["headers"]
    else { return (id, raw) }
    headers["id"] = .string(id)
    let body = Self.decodedBody(envelope)
    switch Int.random(in: 0..<10, using: &generator) {
    case 0...3:
      headers[pick(Self.celeryHeaders.filter { $0 != "id" })] = pick(Self.hostileValues)
    case 4:
      headers.removeValue(forKey: pick(["task", "timelimit", "eta", "retries"]))
    case 5:
      var parts = body ?? [[], [:], .null]
      parts[Int.random(in: 0..<min(3, parts.count), using: &generator)] = pick(Self.hostileValues)
      envelope["body"] = Self.encodedBody(.array(parts))
    case 6:
      var parts = body ?? [[], [:], .null]
      while parts.count < 3 { parts.append(.null) }
      parts[2] = .object([
        pick(["chain", "callbacks", "errbacks", "chord"]): pick(
          Self.hostileValues + [
            [.object(["task": "tasks.add", "args": [1], "options": ["countdown": .double(1e20)]])]
          ])
      ])
      envelope["body"] = Self.encodedBody(.array(parts))
    case 7:
      envelope[pick(["content-type", "content-encoding", "body", "properties"])] = pick(
        Self.hostileValues + ["application/x-python-serialize", "binary"])
    default:
      envelope["headers"] = .object(headers)
      return (id, damageBytes(Self.text(.object(envelope))))
    }
    envelope["headers"] = .object(headers)
    return (id, Self.text(.object(envelope)))
  }

  private static func decodedBody(_ envelope: [String: JSONValue]) -> [JSONValue]? {
    guard let text = envelope["body"]?.stringValue, let data = Data(base64Encoded: text),
      case .array(let parts)? = try? JSONDecoder().decode(JSONValue.self, from: data)
    else { return nil }
    return parts
  }

  private static func encodedBody(_ body: JSONValue) -> JSONValue {
    .string(Data(text(body).utf8).base64EncodedString())
  }

  private static func text(_ value: JSONValue) -> String {
    (try? JSONCoding.encodeString(value)) ?? "{}"
  }

  // MARK: - Celeriac's stored JSON

  /// A mutation of a message as the SQLite broker stores it, with its fresh id.
  public mutating func mutateStored(_ message: TaskMessage) -> (id: String, json: String) {
    let id = nextID()
    var copy = message
    copy.id = id
    guard case .object(var object)? = try? JSONCoding.jsonValue(copy) else {
      return (id, "{}")
    }
    switch Int.random(in: 0..<6, using: &generator) {
    case 0...2:
      let key = pick(["name", "args", "kwargs", "queue", "eta", "expires", "retries", "timeLimit"])
      object[key] = pick(Self.hostileValues)
    case 3:
      object["timeLimit"] = .object([pick(["soft", "hard"]): pick(Self.hostileValues)])
    case 4:
      object["options"] = .object([
        pick(["maxRedeliveries", "acksLate", "ignoreResult"]): pick(Self.hostileValues)
      ])
    default:
      return (id, damageBytes(Self.text(.object(object))))
    }
    return (id, Self.text(.object(object)))
  }

  // MARK: - Bytes

  /// `text` with a few bytes flipped, cut or repeated (kept valid UTF-8 for storage).
  private mutating func damageBytes(_ text: String) -> String {
    var bytes = Array(text.utf8)
    guard !bytes.isEmpty else { return text }
    for _ in 0..<Int.random(in: 1...4, using: &generator) {
      let index = Int.random(in: 0..<bytes.count, using: &generator)
      switch Int.random(in: 0..<4, using: &generator) {
      case 0: bytes[index] = pick(Array("{}[]\",:0123456789e-.\\ ".utf8))
      case 1: bytes.removeSubrange(index..<min(bytes.count, index + 8))
      case 2: bytes.insert(contentsOf: bytes[index..<min(bytes.count, index + 16)], at: index)
      default: bytes = Array(bytes[0..<index])
      }
      if bytes.isEmpty { bytes = Array("{".utf8) }
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
