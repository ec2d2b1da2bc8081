import CeleriacCore

/// The script that replays one dead letter: removes the exact stored entry and, only if it
/// was there, pushes the original message onto its queue (as a producer would: `LPUSH`).
///
/// KEYS: the dead-letter list, the queue. ARGV: the stored entry, the message. Returns 1 when
/// replayed, 0 when the entry was gone (replayed or trimmed meanwhile).
enum DeadLetterScripts {
  static let replay = RedisScript(
    name: "replay-dead-letter",
    source: """
      if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
        redis.call('LPUSH', KEYS[2], ARGV[2])
        return 1
      end
      return 0
      """)
}

extension RedisBroker: DeadLetterAdministering {
  /// How many entries one `LRANGE` reads while looking up ids.
  static let deadLetterPage = 500

  /// The entry whose digest is `id`, among the newest ``DeadLetterLimits/maximumScanned``.
  public func deadLetter(id: String) throws -> DeadLetterEntry? {
    try storedDeadLetters(ids: [id]).first?.entry
  }

  /// Replays each entry with one script call (see ``DeadLetterScripts/replay``).
  public func replayDeadLetters(_ ids: [String]) throws -> [String] {
    let found = try storedDeadLetters(ids: ids).filter { !$0.entry.queue.isEmpty }
    guard !found.isEmpty else { return [] }
    let calls = found.map { stored in
      ScriptCall(
        script: DeadLetterScripts.replay, keys: [RedisKeys.deadLetter, stored.entry.queue],
        arguments: [stored.raw, stored.entry.payload])
    }
    let replies = try perform("replay dead letters") { try scripts.run(calls) }
    try RedisFailure.check(replies)
    return zip(found, replies).compactMap { $1.int == 1 ? $0.entry.id : nil }
  }

  /// Deletes the dead-letter list.
  public func purgeDeadLetters() throws -> Int {
    try perform("purge dead letters") {
      let replies = try client.pipelineSync([
        ["MULTI"], ["LLEN", RedisKeys.deadLetter], ["DEL", RedisKeys.deadLetter], ["EXEC"],
      ])
      try RedisFailure.check(replies)
      return replies.last?.array?.first?.int ?? 0
    }
  }

  /// A dead letter as stored (its digest is its id).
  static func decodeStoredDeadLetter(_ raw: String) -> DeadLetterEntry? {
    guard var entry = decodeDeadLetter(raw) else { return nil }
    entry.id = digest(raw)
    return entry
  }

  /// FNV-1a (64 bits) of the stored entry, in hex: stable while the entry is stored, and
  /// distinct for distinct entries in practice (each carries its creation time).
  static func digest(_ raw: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in raw.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }

  /// The stored entries whose ids are in `ids`, newest first, scanning page by page.
  private func storedDeadLetters(ids: [String]) throws -> [(raw: String, entry: DeadLetterEntry)] {
    var wanted = Set(ids.map { $0.lowercased() })
    var found: [(raw: String, entry: DeadLetterEntry)] = []
    var start = 0
    while !wanted.isEmpty && start < DeadLetterLimits.maximumScanned {
      let stop = start + Self.deadLetterPage - 1
      let page = try perform("read dead letters") {
        try client.sendSync(["LRANGE", RedisKeys.deadLetter, start, stop]).array ?? []
      }
      for raw in page.compactMap(\.string) {
        let id = Self.digest(raw)
        guard wanted.remove(id) != nil, let entry = Self.decodeStoredDeadLetter(raw) else {
          continue
        }
        found.append((raw, entry))
      }
      if page.count < Self.deadLetterPage { break }
      start += Self.deadLetterPage
    }
    return found
  }
}
