/// The scripts that count and finish chords on Celery's keys (see ``CeleryChord``). The part
/// script runs with `EVAL` (never `EVALSHA`: inside `MULTI` a `NOSCRIPT` would leave the
/// result stored and the part uncounted); the others select the databases they touch
/// themselves (a script's `SELECT` does not leak into the connection).
enum ChordScripts {
  /// Counts one part, as Celery's `CHORD_PART_RETURN_LUA` does, run inside the commit's
  /// transaction on the result database.
  ///
  /// KEYS: `.j`, `.t`, `.s`, `.d`, the group key, `.c`, `.celeriac_body`,
  /// `celeriac.chords.completed`. ARGV: task id, encoded part, score (`group_index` or
  /// `+inf`), key expiry in seconds, claim token, encoded body, now. Returns
  /// `{ready, claimed}`; `ready` is -1 for a chord already finished.
  static let part = """
    if redis.call('GET', KEYS[6]) == 'done' then return {-1, 0} end
    local member = ARGV[1] .. ':' .. ARGV[3]
    if redis.call('SISMEMBER', KEYS[4], member) == 0 then
      redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
      redis.call('SADD', KEYS[4], member)
    end
    local ready = redis.call('ZCOUNT', KEYS[1], '-inf', '+inf')
    local expires = tonumber(ARGV[4]) or 0
    if expires > 0 then
      for _, key in ipairs({KEYS[1], KEYS[2], KEYS[3], KEYS[4]}) do
        redis.call('EXPIRE', key, expires)
      end
    end
    local size = tonumber(redis.call('GET', KEYS[3]) or '')
    local extra = tonumber(redis.call('GET', KEYS[2]) or '') or 0
    if size and ready == size + extra then
      local hold = math.max(expires, 300)
      if redis.call('SET', KEYS[6], ARGV[5], 'NX', 'EX', hold) then
        redis.call('SET', KEYS[7], ARGV[6], 'EX', hold)
        redis.call('ZADD', KEYS[8], ARGV[7], KEYS[5])
        return {ready, 1}
      end
    end
    return {ready, 0}
    """

  /// Prepares a chord: KEYS `.c`, `.s`; ARGV: result database, size, expiry in seconds.
  static let prepare = """
    redis.call('SELECT', ARGV[1])
    redis.call('DEL', KEYS[1])
    redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
    return 1
    """

  /// Reads a chord's parts in header order. KEYS: `.j`. ARGV: the result database.
  static let parts = """
    redis.call('SELECT', ARGV[1])
    return redis.call('ZRANGE', KEYS[1], 0, -1)
    """

  /// Finishes a chord only while the claim holds the token: runs the given commands (the
  /// body's publish, or its FAILURE and errbacks), deletes the counters, marks `.c` done and
  /// forgets the chord in `celeriac.chords.completed`.
  ///
  /// KEYS: `.c`, `.j`, `.t`, `.s`, `.d`, `.celeriac_body`, `celeriac.chords.completed`, the
  /// group key. ARGV: token, done expiry, result database, then commands as
  /// `database, argument count, arguments…`. Returns 1 when finished, 0 when the claim was
  /// lost.
  static let finish = """
    redis.call('SELECT', ARGV[3])
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
    local i = 4
    while i <= #ARGV do
      local count = tonumber(ARGV[i + 1])
      local command = {}
      for k = 1, count do command[k] = ARGV[i + 1 + k] end
      redis.call('SELECT', ARGV[i])
      redis.call(unpack(command))
      i = i + 2 + count
    end
    redis.call('SELECT', ARGV[3])
    redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
    redis.call('SET', KEYS[1], 'done', 'EX', ARGV[2])
    redis.call('ZREM', KEYS[7], KEYS[8])
    return 1
    """

  /// Takes over claimed chords nobody finished since `cutoff`. KEYS:
  /// `celeriac.chords.completed`. ARGV: result database, cutoff, new token, now, limit.
  /// Returns the `.celeriac_body` of each chord taken over.
  static let takeOver = """
    redis.call('SELECT', ARGV[1])
    local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[5]))
    local out = {}
    for _, group in ipairs(stale) do
      local claim = redis.call('GET', group .. '.c')
      local body = redis.call('GET', group .. '.celeriac_body')
      if claim == 'done' or not body then
        redis.call('ZREM', KEYS[1], group)
      else
        redis.call('SET', group .. '.c', ARGV[3], 'EX', 86400)
        redis.call('ZADD', KEYS[1], ARGV[4], group)
        out[#out + 1] = body
      end
    end
    return out
    """
}
