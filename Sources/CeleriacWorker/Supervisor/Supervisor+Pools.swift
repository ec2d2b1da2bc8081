import CeleriacCore

extension Supervisor {
  /// Brings each pool to its target: respawns slots whose backoff ran out, fills free slots,
  /// retires idle children above the target, and lets autoscaling pools move their target.
  func maintainPools() {
    guard case .running = runState else { return }
    let now = clock.now
    for index in pools.indices {
      autoscale(poolIndex: index, now: now)
      fillSlots(poolIndex: index, now: now)
      retireSurplus(poolIndex: index)
    }
  }

  /// Children of the current generation that count toward a pool's size.
  func activeChildren(of pool: PoolState) -> [ChildProcess] {
    children.values.filter {
      $0.poolName == pool.name && $0.generation == generation && $0.isActive
    }
  }

  func fillSlots(poolIndex index: Int, now: ContinuousClock.Instant) {
    let active = activeChildren(of: pools[index])
    var used = Set(active.map(\.slot))
    var count = active.count
    for (slot, due) in pools[index].pendingRestarts.sorted(by: { $0.key < $1.key }) {
      guard due <= now else { used.insert(slot); count += 1; continue }
      pools[index].pendingRestarts[slot] = nil
      guard slot < pools[index].target, count < pools[index].target, !used.contains(slot) else {
        continue
      }
      if spawnChild(poolIndex: index, slot: slot) { used.insert(slot); count += 1 }
    }
    var slot = 0
    while count < pools[index].target, runState == .running {
      while used.contains(slot) { slot += 1 }
      used.insert(slot)
      if spawnChild(poolIndex: index, slot: slot) { count += 1 }
    }
  }

  func retireSurplus(poolIndex index: Int) {
    let active = activeChildren(of: pools[index])
    let surplus = active.count - pools[index].target
    guard surplus > 0 else { return }
    let idle = active.filter { $0.phase == .idle }.sorted { $0.slot > $1.slot }
    for child in idle.prefix(surplus) {
      logger.info("retiring idle child \(child.pid) of \(child.poolName)")
      retire(child)
    }
  }

  /// Samples the queue depth of an autoscaling pool and applies the policy's decision.
  func autoscale(poolIndex index: Int, now: ContinuousClock.Instant) {
    guard pools[index].autoscaler != nil, now >= pools[index].nextAutoscaleSample else { return }
    pools[index].nextAutoscaleSample = now + configuration.autoscaleInterval
    let pool = pools[index]
    let depth: Int
    do {
      depth = try broker.depths(of: pool.configuration.queues).values.reduce(0, +)
    } catch {
      brokerFailed("read the depth of \(pool.name)", error)
      return
    }
    pools[index].depth = depth
    let active = activeChildren(of: pool)
    let busy = active.filter { $0.phase == .busy }.count
    let idle = active.filter { $0.phase == .idle }.count
    let snapshot = AutoscalerSnapshot(
      queueDepth: depth, inFlight: busy + pool.reserved.count, busyChildren: busy,
      idleChildren: idle,
      totalChildren: max(active.count + pool.pendingRestarts.count, pool.target))
    let decision = pools[index].autoscaler!.decide(snapshot, now: policyTime(now))
    switch decision {
    case .hold:
      break
    case .spawn(let count, let reason):
      pools[index].target = min(pool.target + count, pool.configuration.maximum)
      logger.info("autoscale \(pool.name): \(reason) → target \(pools[index].target)")
    case .retire(let count, let reason):
      pools[index].target = max(pool.target - count, pool.configuration.minimum)
      logger.info("autoscale \(pool.name): \(reason) → target \(pools[index].target)")
    }
  }

  /// SIGTTIN / SIGTTOU (and remote control's `pool_grow` / `pool_shrink`): `delta` children
  /// more or fewer in every pool, never fewer than one nor more than
  /// ``WorkerConfiguration/maximumPoolSize``, however often it is asked.
  func resizePools(by delta: Int) {
    let limit = WorkerConfiguration.maximumPoolSize
    for index in pools.indices {
      var pool = pools[index].configuration
      pool.minimum = min(max(1, pool.minimum + delta), limit)
      pool.maximum = min(max(pool.minimum, pool.maximum + delta), limit)
      pools[index].configuration = pool
      pools[index].target = min(max(pools[index].target + delta, pool.minimum), pool.maximum)
      if pools[index].autoscaler != nil, let resized = makeAutoscaler(pool) {
        pools[index].autoscaler?.configuration = resized.configuration
      }
      logger.info(
        "\(pool.name): target \(pools[index].target) children (\(delta > 0 ? "TTIN" : "TTOU"))")
    }
  }
}
