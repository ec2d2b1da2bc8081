import CeleriacCore
import Foundation
import NIOCore

/// Beat's state in Redis, in the broker's database, under `celeriac.beat.`: the leader lease
/// (a key with the lease as TTL), each entry's last published due time (a hash), the dynamic
/// entries and enabled overrides (hashes), and a revision counter.
///
/// ``publish(_:entry:due:leader:)`` is one Lua script: it checks that the caller holds the
/// lease key and that the entry's last due time is earlier, `LPUSH`es the Celery protocol 2
/// message onto its queue (with kombu's binding sets, as any producer) and records the due
/// time. Redis runs a script atomically, so a beat killed mid-publish leaves both or neither.
public final class RedisBeatStore: BeatStore {
  /// Where the keys live.
  public enum Keys {
    /// The leader lease: the holder's id, expiring after the lease.
    public static let leader = "celeriac.beat.leader"
    /// Entry name → last published due time (Unix seconds).
    public static let lastRuns = "celeriac.beat.last"
    /// Entry name → a dynamic entry's JSON definition.
    public static let entries = "celeriac.beat.entries"
    /// Entry name → `1` (enabled) or `0` (disabled), the overrides.
    public static let enabled = "celeriac.beat.enabled"
    /// Incremented on every change of the two hashes above.
    public static let revision = "celeriac.beat.revision"
  }

  private let broker: RedisBroker
  private let scripts: ScriptRunner
  private let origin: String
  private let replyTo = UUID().lowercasedText

  /// Beat's state on the broker's server and database.
  public init(broker: RedisBroker) {
    self.broker = broker
    self.scripts = ScriptRunner(client: broker.client)
    let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init)
    self.origin = "beat\(getpid())@\(host ?? "localhost")"
  }

  /// `SET leader holder PX lease` if the key is absent or already `holder`'s, in one script.
  public func acquireLeadership(_ holder: String, lease: Duration) throws -> Bool {
    let milliseconds = max(1, Int(lease.seconds * 1_000))
    let reply = try run(
      "take the beat lease",
      ScriptCall(script: Self.acquire, keys: [Keys.leader], arguments: [holder, milliseconds]))
    return reply.int == 1
  }

  /// Deletes the lease key if `holder` has it.
  public func resignLeadership(_ holder: String) throws {
    _ = try run(
      "give up the beat lease",
      ScriptCall(script: Self.resign, keys: [Keys.leader], arguments: [holder]))
  }

  /// The lease key's holder and expiry.
  public func leader() throws -> BeatLeader? {
    let replies = try perform("read the beat lease") {
      try broker.client.pipelineSync([["GET", Keys.leader], ["PTTL", Keys.leader]])
    }
    guard let holder = replies[0].string, let ttl = replies[1].int, ttl > 0 else { return nil }
    return BeatLeader(holder: holder, expires: Date().addingTimeInterval(Double(ttl) / 1_000))
  }

  /// `HGETALL` of the last-run hash.
  public func lastRuns() throws -> [String: Date] {
    let reply = try perform("read beat runs") {
      try broker.client.sendSync(["HGETALL", Keys.lastRuns]).checked()
    }
    var runs: [String: Date] = [:]
    for (name, value) in pairs(reply) {
      if let seconds = Double(value) { runs[name] = Date(timeIntervalSince1970: seconds) }
    }
    return runs
  }

  /// The publish script: lease check, last-run check, `LPUSH`, `HSET`, atomically.
  public func publish(_ message: TaskMessage, entry: String, due: Date, leader: String) throws
    -> BeatPublishOutcome
  {
    let raw = CeleryProtocol.encode(message, origin: origin, replyTo: replyTo)
    let member = CeleryProtocol.bindingMember(of: message.queue)
    let keys = [
      Keys.leader, Keys.lastRuns, message.queue, RedisKeys.binding(message.queue),
      RedisKeys.permanentBinding(message.queue),
    ]
    let reply = try run(
      "publish a beat task",
      ScriptCall(
        script: Self.publish, keys: keys,
        arguments: [leader, entry, String(due.timeIntervalSince1970), raw, member]))
    guard let parts = reply.array, let status = parts.first?.int else {
      throw CeleriacError(.protocolError, "Redis beat publish answered \(reply)")
    }
    switch status {
    case 2: return .published
    case 1:
      let last = parts.count > 1 ? Double(parts[1].string ?? "") : nil
      return .alreadyPublished(last: Date(timeIntervalSince1970: last ?? due.timeIntervalSince1970))
    default: return .notLeader
    }
  }

  /// The dynamic entries and overrides, from the two hashes.
  public func storedEntries() throws -> [StoredBeatEntry] {
    let replies = try perform("read beat entries") {
      try broker.client.pipelineSync([["HGETALL", Keys.entries], ["HGETALL", Keys.enabled]])
    }
    var byName: [String: StoredBeatEntry] = [:]
    for (name, definition) in pairs(replies[0]) {
      let entry: ScheduleEntry
      do {
        entry = try ScheduleEntry(json: try JSONCoding.decode(JSONValue.self, from: definition))
      } catch {
        throw CeleriacError(
          .malformedMessage, "stored beat entry '\(name)' cannot be read: \(error)")
      }
      byName[name] = StoredBeatEntry(name: name, definition: entry, enabled: nil)
    }
    for (name, flag) in pairs(replies[1]) {
      byName[name, default: StoredBeatEntry(name: name, definition: nil, enabled: nil)].enabled =
        flag == "1"
    }
    return byName.values.sorted { $0.name < $1.name }
  }

  /// `HSET` of the definition and `INCR` of the revision, in one `MULTI`.
  public func saveEntry(_ entry: ScheduleEntry) throws {
    let definition = try JSONCoding.encodeString(entry.json)
    try transaction("save a beat entry", [["HSET", Keys.entries, entry.name, definition]])
  }

  /// `HDEL` from both hashes and `INCR` of the revision, in one `MULTI`.
  public func removeEntry(named name: String) throws -> Bool {
    let replies = try transaction(
      "remove a beat entry", [["HDEL", Keys.entries, name], ["HDEL", Keys.enabled, name]])
    return replies.contains { ($0.int ?? 0) > 0 }
  }

  /// `HSET` of the override and `INCR` of the revision, in one `MULTI`.
  public func setEnabled(_ enabled: Bool, forEntryNamed name: String) throws {
    try transaction(
      "enable or disable a beat entry", [["HSET", Keys.enabled, name, enabled ? "1" : "0"]])
  }

  /// The revision counter.
  public func revision() throws -> Int64 {
    let reply = try perform("read the beat revision") {
      try broker.client.sendSync(["GET", Keys.revision]).checked()
    }
    return Int64(reply.string ?? "0") ?? 0
  }

  // MARK: - Plumbing

  /// Runs `commands` and an `INCR` of the revision in one `MULTI`; returns the commands'
  /// replies.
  @discardableResult
  private func transaction(_ operation: String, _ commands: [[any RESPArgument]]) throws
    -> [RESPValue]
  {
    let all: [[any RESPArgument]] = [["MULTI"]] + commands + [["INCR", Keys.revision], ["EXEC"]]
    let replies = try perform(operation) { try broker.client.pipelineSync(all) }
    guard let results = replies.last?.array else {
      throw CeleriacError(.protocolError, "Redis beat \(operation): EXEC answered \(replies.last!)")
    }
    try RedisFailure.check(results)
    return Array(results.prefix(commands.count))
  }

  private func run(_ operation: String, _ call: ScriptCall) throws -> RESPValue {
    try perform(operation) { try scripts.run(call) }
  }

  private func perform<T>(_ operation: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch {
      throw RedisFailure.wrap(
        error, .brokerUnavailable, role: "broker", url: broker.url, operation: operation)
    }
  }

  private func pairs(_ reply: RESPValue) -> [(String, String)] {
    let elements = reply.array ?? []
    return stride(from: 0, to: elements.count - 1, by: 2).compactMap { index in
      guard let key = elements[index].string, let value = elements[index + 1].string else {
        return nil
      }
      return (key, value)
    }
  }

  // MARK: - Scripts

  /// KEYS: lease key. ARGV: holder, lease in ms. Returns 1 when the holder now leads.
  static let acquire = RedisScript(
    name: "beat-acquire",
    source: """
      local current = redis.call('GET', KEYS[1])
      if current == false or current == ARGV[1] then
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
      end
      return 0
      """)

  /// KEYS: lease key. ARGV: holder.
  static let resign = RedisScript(
    name: "beat-resign",
    source: """
      if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
      return 0
      """)

  /// KEYS: lease key, last-run hash, queue list, binding set, permanent binding set.
  /// ARGV: holder, entry, due (Unix seconds), message, binding member.
  /// Returns `{0}` not leader, `{1, last}` already published, `{2}` published.
  static let publish = RedisScript(
    name: "beat-publish",
    source: """
      if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
      local last = redis.call('HGET', KEYS[2], ARGV[2])
      if last and tonumber(last) >= tonumber(ARGV[3]) then return {1, last} end
      redis.call('SADD', KEYS[4], ARGV[5])
      redis.call('SADD', KEYS[5], ARGV[5])
      redis.call('LPUSH', KEYS[3], ARGV[4])
      redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
      return {2}
      """)
}
