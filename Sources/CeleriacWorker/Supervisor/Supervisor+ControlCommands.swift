import CeleriacCore

/// The remote-control commands beyond inspection that change what a worker consumes or how
/// its pools scale, with Celery 5's replies (captured from a Python worker):
/// `query_task` → `{id: [state, info]}`, `rate_limit` → `{"ok": "new rate limit set
/// successfully"}` (or `{"error": "unknown task"}` for a task not registered), `autoscale` → `{"ok": "autoscale now max=M min=N"}` or
/// `{"error": "ValueError('Autoscale not enabled')"}`, `add_consumer` →
/// `{"ok": "add consumer Q"}`, `cancel_consumer` → `{"ok": "no longer consuming from Q"}`.
extension Supervisor {
  /// The most ids one `query_task` looks up.
  static let maximumQueriedIDs = 10_000
  /// The longest queue name `add_consumer` accepts.
  static let maximumQueueNameLength = 256

  /// The queues the pools consume now (`add_consumer` / `cancel_consumer` change them).
  var consumedQueues: [String] {
    var seen: Set<String> = []
    return pools.flatMap(\.configuration.queues).filter { seen.insert($0).inserted }
  }

  /// `query_task`: each id this worker holds, as `[state, info]` (`active` or `reserved`).
  func queryTasks(_ argument: JSONValue?) -> JSONValue {
    let wanted: [String]
    switch argument {
    case .string(let id)?: wanted = [id]
    case .array(let values)?:
      wanted = values.prefix(Self.maximumQueriedIDs).compactMap(\.stringValue)
    default: return ["error": "query_task needs ids"]
    }
    let ids = Set(wanted)
    var found: [String: JSONValue] = [:]
    for info in activeTasks() {
      guard let id = info["id"]?.stringValue, ids.contains(id) else { continue }
      found[id] = ["active", info]
    }
    for delivery in pools.reserved where ids.contains(delivery.message.id) {
      found[delivery.message.id] = ["reserved", taskInfo(delivery.message, acknowledged: false)]
    }
    return .object(found)
  }

  /// `rate_limit`: sets a registered task's rate on this worker, in the task's declared scope
  /// (per worker, or the broker's shared bucket for ``RateLimitScope/global``), until the
  /// worker restarts; `0`, `""` or `null` lifts the limit. Tasks already sent back to the
  /// broker keep the slot they hold. Celery's replies.
  func rateLimit(_ arguments: [String: JSONValue]) -> JSONValue {
    let setting: RateLimitSetting
    do {
      setting = try RateLimitSetting(wire: arguments["rate_limit"])
    } catch {
      return ["error": .string("Invalid rate limit string: ValueError('\(error.message)')")]
    }
    guard let name = arguments["task_name"]?.stringValue, registry[name] != nil else {
      return ["error": "unknown task"]
    }
    rateLimits.set(setting, for: name)
    switch setting {
    case .unlimited:
      logger.info("remote control: rate limits disabled for tasks of type \(name)")
      return ["ok": "rate limit disabled successfully"]
    case .limited(let limit):
      logger.info("remote control: new rate limit for tasks of type \(name): \(limit)")
      return ["ok": "new rate limit set successfully"]
    }
  }

  /// `autoscale`: new bounds for every autoscaled pool, clamped to the pool-size limit.
  func autoscale(_ arguments: [String: JSONValue]) -> JSONValue {
    guard pools.contains(where: { $0.autoscaler != nil }) else {
      return ["error": "ValueError('Autoscale not enabled')"]
    }
    let limit = WorkerConfiguration.maximumPoolSize
    var minimum = 0
    var maximum = 0
    for pool in pools where pool.autoscaler != nil {
      var bounds = pool.configuration
      let requestedMaximum = arguments["max"]?.intValue.map { Int(clamping: $0) } ?? bounds.maximum
      let requestedMinimum = arguments["min"]?.intValue.map { Int(clamping: $0) } ?? bounds.minimum
      bounds.maximum = min(max(1, requestedMaximum), limit)
      bounds.minimum = min(max(1, requestedMinimum), bounds.maximum)
      guard let resized = makeAutoscaler(bounds) else { continue }
      pool.configuration = bounds
      pool.autoscaler?.configuration = resized.configuration
      pool.target = min(max(pool.target, bounds.minimum), bounds.maximum)
      logger.info("remote control: \(pool.name) autoscales \(bounds.minimum)…\(bounds.maximum)")
      minimum = bounds.minimum
      maximum = bounds.maximum
    }
    return ["ok": .string("autoscale now max=\(maximum) min=\(minimum)")]
  }

  /// `add_consumer`: the first pool also consumes `queue`.
  func addConsumer(_ argument: JSONValue?) -> JSONValue {
    guard let queue = Self.queueName(argument) else { return ["error": "add_consumer needs queue"] }
    if !consumedQueues.contains(queue), let pool = pools.first {
      pool.configuration.queues.append(queue)
      pool.queueLooksEmpty = false
      logger.info("remote control: \(pool.name) now consumes \(queue)")
    }
    return ["ok": .string("add consumer \(queue)")]
  }

  /// `cancel_consumer`: no pool consumes `queue` any more (its tasks stay in the broker).
  func cancelConsumer(_ argument: JSONValue?) -> JSONValue {
    guard let queue = Self.queueName(argument) else {
      return ["error": "cancel_consumer needs queue"]
    }
    for pool in pools where pool.configuration.queues.contains(queue) {
      pool.configuration.queues.removeAll { $0 == queue }
      logger.info("remote control: \(pool.name) no longer consumes \(queue)")
    }
    return ["ok": .string("no longer consuming from \(queue)")]
  }

  private static func queueName(_ argument: JSONValue?) -> String? {
    guard let queue = argument?.stringValue, !queue.isEmpty,
      queue.utf8.count <= maximumQueueNameLength
    else { return nil }
    return queue
  }
}
