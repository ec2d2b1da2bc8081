import CeleriacCore
import NIOCore
import Synchronization

/// A Lua script run with `EVALSHA`; loaded with `SCRIPT LOAD` on first use and again after the
/// server forgot it (a restart answers `NOSCRIPT`).
struct RedisScript: Sendable {
  /// A name for errors.
  let name: String
  /// The Lua source.
  let source: String
}

/// One script call: the script, its keys and its other arguments.
struct ScriptCall {
  var script: RedisScript
  var keys: [String]
  var arguments: [any RESPArgument]
}

/// The broker's scripts. Each runs atomically on the server, which is what makes claims and
/// moves between lists safe against concurrent supervisors and crashes.
enum BrokerScripts {
  /// Claims up to `limit` messages for a consumer.
  ///
  /// KEYS: processing list, liveness key, consumer set, origins hash, then five per queue: the
  /// queue, its delayed set, and its three priority lists. ARGV: now (Unix seconds), limit,
  /// lease in ms, consumer id, the database of revocations (`""`: do not look), the broker's
  /// database. First moves every due message of each delayed set to the front of its queue's
  /// list for its priority (earliest ETA nearest the front), then `LMOVE`s from the right of
  /// each queue list (kombu's FIFO: producers `LPUSH`) onto the left of the processing list,
  /// in kombu's priority order, and renews the liveness key. A message taken from a list other
  /// than the one its routing key names is noted in the origins hash.
  ///
  /// Then, so that the supervisor needs no second round trip, it looks up whether each claimed
  /// task is revoked (`celeriac.revoked.<id>` in the revocations' database). The id is the
  /// first `"id": "…"` of the envelope (protocol 2 headers; the body is base64). The caller
  /// trusts the answer only when that id is the one it decodes.
  ///
  /// Returns `[queue, message, origin, id looked up, revoked (0/1), …]`: origin `""` when the
  /// message came from its own list, id `""` when none was looked up.
  static let claim = RedisScript(
    name: "claim",
    source: """
      local now = ARGV[1]
      local limit = tonumber(ARGV[2])
      redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
      redis.call('SADD', KEYS[3], ARGV[4])
      local out = {}
      local taken = 0
      for i = 5, #KEYS, 5 do
        local queue = KEYS[i]
        local due = redis.call('ZRANGEBYSCORE', KEYS[i + 1], '-inf', now, 'LIMIT', 0, 1000)
        for j = #due, 1, -1 do
          -- Back onto the list of its priority: the last "priority" key is the property
          -- (kombu and Celeriac write properties after headers; the body is base64).
          local priority = 0
          for value in string.gmatch(due[j], '"priority": (%d+)') do
            priority = tonumber(value)
          end
          local list = queue
          if priority >= 9 then list = KEYS[i + 4]
          elseif priority >= 6 then list = KEYS[i + 3]
          elseif priority >= 3 then list = KEYS[i + 2] end
          redis.call('RPUSH', list, due[j])
          redis.call('ZREM', KEYS[i + 1], due[j])
        end
        for _, source in ipairs({queue, KEYS[i + 2], KEYS[i + 3], KEYS[i + 4]}) do
          while taken < limit do
            local message = redis.call('LMOVE', source, KEYS[1], 'RIGHT', 'LEFT')
            if not message then break end
            taken = taken + 1
            local origin = ''
            if source ~= queue
              or not string.find(message, '"routing_key": "' .. queue .. '"', 1, true) then
              origin = source
              redis.call('HSET', KEYS[4], message, source)
            end
            out[#out + 1] = queue
            out[#out + 1] = message
            out[#out + 1] = origin
            out[#out + 1] = ''
            out[#out + 1] = 0
          end
        end
      end
      if ARGV[5] ~= '' and #out > 0 then
        redis.call('SELECT', ARGV[5])
        for k = 2, #out, 5 do
          local id = string.match(out[k], '"id": "([^"]+)"')
          if id then
            out[k + 2] = id
            out[k + 3] = redis.call('EXISTS', 'celeriac.revoked.' .. id)
          end
        end
        redis.call('SELECT', ARGV[6])
      end
      return out
      """)

  /// Moves one element out of a processing list, only if it is still there (so that two
  /// supervisors recovering the same list never duplicate a message).
  ///
  /// KEYS: the processing list, the destination, and optionally the consumer's origins hash
  /// (its entry for the element is deleted). ARGV: the element, the element to write,
  /// the mode (`rpush`: front of a queue; `lpush`: head of dead-letter; `zadd`: delayed set),
  /// the score for `zadd`. Returns 1 when moved, 0 when the element was gone.
  static let move = RedisScript(
    name: "move",
    source: """
      if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
      if KEYS[3] then redis.call('HDEL', KEYS[3], ARGV[1]) end
      if ARGV[3] == 'rpush' then
        redis.call('RPUSH', KEYS[2], ARGV[2])
      elseif ARGV[3] == 'lpush' then
        redis.call('LPUSH', KEYS[2], ARGV[2])
      else
        redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
      end
      return 1
      """)

  /// Returns one element of an abandoned consumer's processing list to the front of its queue,
  /// only if the consumer is still gone and the element still there: a supervisor that comes
  /// back (renews its liveness key) before the move keeps its message.
  ///
  /// KEYS: the processing list, the consumer's liveness key, the queue, the consumer's origins
  /// hash. ARGV: the element, the element to write. Returns 1 when moved, 0 when the element was gone, -1 when the consumer
  /// is alive again.
  static let recover = RedisScript(
    name: "recover",
    source: """
      if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
      if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
      redis.call('RPUSH', KEYS[3], ARGV[2])
      redis.call('HDEL', KEYS[4], ARGV[1])
      return 1
      """)

  /// Forgets a consumer once its liveness key is gone and its processing list is empty.
  ///
  /// KEYS: processing list, liveness key, consumer set, origins hash. ARGV: consumer id.
  static let forget = RedisScript(
    name: "forget",
    source: """
      if redis.call('EXISTS', KEYS[2]) == 0 and redis.call('LLEN', KEYS[1]) == 0 then
        redis.call('SREM', KEYS[3], ARGV[1])
        redis.call('DEL', KEYS[4])
        return 1
      end
      return 0
      """)
}

/// Runs scripts by SHA on a client, loading them when needed.
final class ScriptRunner: Sendable {
  private let client: RedisClient
  private let hashes = Mutex<[String: String]>([:])

  init(client: RedisClient) {
    self.client = client
  }

  /// Runs the calls in one pipeline and returns their replies (error replies included). Calls
  /// answered `NOSCRIPT` (they did not run) are run again once their script is loaded.
  func run(_ calls: [ScriptCall], timeout: TimeAmount? = nil) throws -> [RESPValue] {
    guard !calls.isEmpty else { return [] }
    var replies = try pipeline(calls, timeout: timeout)
    let missing = replies.indices.filter {
      replies[$0].errorMessage?.hasPrefix("NOSCRIPT") == true
    }
    guard !missing.isEmpty else { return replies }
    hashes.withLock { $0.removeAll() }
    let again = try pipeline(missing.map { calls[$0] }, timeout: timeout)
    for (index, reply) in zip(missing, again) { replies[index] = reply }
    return replies
  }

  /// Runs one call and returns its reply; an error reply throws.
  func run(_ call: ScriptCall, timeout: TimeAmount? = nil) throws -> RESPValue {
    try run([call], timeout: timeout)[0].checked()
  }

  private func pipeline(_ calls: [ScriptCall], timeout: TimeAmount?) throws -> [RESPValue] {
    var commands: [[any RESPArgument]] = []
    commands.reserveCapacity(calls.count)
    for call in calls {
      let hash = try self.hash(of: call.script)
      var command: [any RESPArgument] = ["EVALSHA", hash, call.keys.count]
      command.reserveCapacity(3 + call.keys.count + call.arguments.count)
      for key in call.keys { command.append(key) }
      command.append(contentsOf: call.arguments)
      commands.append(command)
    }
    return try client.pipelineSync(commands, timeout: timeout)
  }

  private func hash(of script: RedisScript) throws -> String {
    if let known = hashes.withLock({ $0[script.name] }) { return known }
    let reply = try client.sendSync(["SCRIPT", "LOAD", script.source])
    guard let hash = reply.string else {
      throw RedisError(
        code: .protocolError, message: "SCRIPT LOAD of \(script.name) answered \(reply)")
    }
    hashes.withLock { $0[script.name] = hash }
    return hash
  }
}
