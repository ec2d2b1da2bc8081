import CeleriacCore
import Foundation

extension RedisBroker: GlobalRateLimiting {
  /// Takes a start slot from the task name's bucket in one Lua script (``RateLimitScripts``).
  public func takeRateSlot(_ request: RateSlotRequest) throws -> Double? {
    guard request.interval.isFinite, request.interval > 0, request.now.isFinite else {
      throw CeleriacError(.invalidArguments, "a rate slot needs a positive interval and a time")
    }
    let call = ScriptCall(
      script: RateLimitScripts.take,
      keys: [RedisKeys.rateBucket(request.name), RedisKeys.rateReservations(request.name)],
      arguments: [
        request.taskID, request.interval, request.now,
        request.claimedSlot.map(\.description) ?? "", RateSlotRequest.tolerance,
        RateSlotRequest.reservationLifetime,
      ])
    let reply = try perform("take a rate slot for \(request.name)") { try scripts.run(call) }
    guard let text = reply.string else {
      throw CeleriacError(
        .brokerUnavailable, "Redis broker \(redactedURL): the rate slot script answered \(reply)")
    }
    if text.isEmpty { return nil }
    guard let slot = Double(text), slot.isFinite else {
      throw CeleriacError(
        .brokerUnavailable, "Redis broker \(redactedURL): not a rate slot: \(text.prefix(40))")
    }
    return slot
  }
}

/// The Lua script behind ``RedisBroker/takeRateSlot(_:)``.
enum RateLimitScripts {
  /// KEYS: the bucket (its next free time), the reservations (sorted set task id → slot).
  /// ARGV: task id, interval, now, the claimed slot (`""`: none), tolerance, lifetime (all in
  /// seconds). Forgets reservations older than the lifetime; a task holding the reservation
  /// it claims starts once the slot is reached (the reservation is removed) or learns the
  /// slot again; any other task takes the next free time, and a future one is reserved for
  /// it. Returns `""` for "start now", else the reserved slot as stored.
  static let take = RedisScript(
    name: "take rate slot",
    source: """
      local interval = tonumber(ARGV[2])
      local now = tonumber(ARGV[3])
      local tolerance = tonumber(ARGV[5])
      local lifetime = tonumber(ARGV[6])
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - lifetime)
      if ARGV[4] ~= '' then
        local mine = redis.call('ZSCORE', KEYS[2], ARGV[1])
        local claimed = tonumber(ARGV[4])
        if mine and claimed and math.abs(tonumber(mine) - claimed) < 0.000001 then
          if tonumber(mine) <= now + tolerance then
            redis.call('ZREM', KEYS[2], ARGV[1])
            return ''
          end
          return mine
        end
      end
      local free = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
      if free < now then free = now end
      local ttl = math.ceil(free + interval - now + lifetime)
      redis.call('SET', KEYS[1], string.format('%.6f', free + interval), 'EX', ttl)
      if free <= now + tolerance then return '' end
      redis.call('ZADD', KEYS[2], free, ARGV[1])
      redis.call('EXPIRE', KEYS[2], ttl)
      return redis.call('ZSCORE', KEYS[2], ARGV[1])
      """)
}
