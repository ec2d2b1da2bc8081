import CeleriacCore

extension Supervisor {
  /// Brings each pool to its target: respawns slots whose backoff ran out, fills free slots,
  /// retires idle children above the target, and lets autoscaling pools move their target.
  func maintainPools() {
    guard case .running = runState else { return }
    let now = clock.now
    for pool in pools {
      autoscale(pool, now: now)
      fillSlots(of: pool, now: now)
      retireSurplus(of: pool)
    }
  }

  /// Children of the current generation that count toward a pool's size.
  func activeChildren(of pool: PoolState) -> [ChildProcess] {
    children.active(in: pool.name, generation: generation)
  }

  /// How the active children of `pool` are doing.
  func census(of pool: PoolState) -> PoolCensus {
    children.census(of: pool.name, generation: generation)
  }

  func fillSlots(of pool: PoolState, now: ContinuousClock.Instant) {
    let active = activeChildren(of: pool)
    var used = Set(active.map(\.slot))
    var count = active.count
    for (slot, due) in pool.pendingRestarts.sorted(by: { $0.key < $1.key }) {
      guard due <= now else { used.insert(slot); count += 1; continue }
      pool.pendingRestarts[slot] = nil
      guard slot < pool.target, count < pool.target, !used.contains(slot) else { continue }
      if spawnChild(for: pool, slot: slot) { used.insert(slot); count += 1 }
    }
    var slot = 0
    while count < pool.target, runState == .running {
      while used.contains(slot) { slot += 1 }
      used.insert(slot)
      if spawnChild(for: pool, slot: slot) { count += 1 }
    }
  }

  func retireSurplus(of pool: PoolState) {
    let active = activeChildren(of: pool)
    let surplus = active.count - pool.target
    guard surplus > 0 else { return }
    let idle = active.filter { $0.phase == .idle }.sorted { $0.slot > $1.slot }
    for child in idle.prefix(surplus) {
      logger.info("retiring idle child \(child.pid) of \(child.poolName)")
      retire(child)
    }
  }

  /// Samples the queue depth of an autoscaling pool and applies the policy's decision.
  func autoscale(_ pool: PoolState, now: ContinuousClock.Instant) {
    guard pool.autoscaler != nil, now >= pool.nextAutoscaleSample else { return }
    pool.nextAutoscaleSample = now + configuration.autoscaleInterval
    var depth = pool.depth
    let started = clock.now
    if depthReads.allows(now: started) {
      do {
        depth = try broker.depths(of: pool.configuration.queues).values.reduce(0, +)
      } catch {
        brokerFailed("read the depth of \(pool.name)", error)
        return
      }
      depthReads.record(from: started, to: clock.now)
    }
    pool.depth = depth
    let census = census(of: pool)
    // Reserved tasks wait for a child as queued ones do: with a prefetch of several per child
    // the reserve can hold the whole backlog while the broker's queue reads empty.
    let snapshot = AutoscalerSnapshot(
      queueDepth: depth + pool.reserved.count, inFlight: census.busy, busyChildren: census.busy,
      idleChildren: census.idle,
      totalChildren: max(census.active + pool.pendingRestarts.count, pool.target))
    guard let decision = pool.autoscaler?.decide(snapshot, now: policyTime(now)) else { return }
    switch decision {
    case .hold:
      break
    case .spawn(let count, let reason):
      pool.target = min(pool.target + count, pool.configuration.maximum)
      logger.info("autoscale \(pool.name): \(reason) → target \(pool.target)")
    case .retire(let count, let reason):
      pool.target = max(pool.target - count, pool.configuration.minimum)
      logger.info("autoscale \(pool.name): \(reason) → target \(pool.target)")
    }
  }

  /// SIGTTIN / SIGTTOU (and remote control's `pool_grow` / `pool_shrink`): `delta` children
  /// more or fewer in every pool, never fewer than one nor more than
  /// ``WorkerConfiguration/maximumPoolSize``, however often it is asked.
  func resizePools(by delta: Int) {
    let limit = WorkerConfiguration.maximumPoolSize
    for pool in pools {
      var bounds = pool.configuration
      bounds.minimum = min(max(1, bounds.minimum + delta), limit)
      bounds.maximum = min(max(bounds.minimum, bounds.maximum + delta), limit)
      pool.configuration = bounds
      pool.target = min(max(pool.target + delta, bounds.minimum), bounds.maximum)
      if pool.autoscaler != nil, let resized = makeAutoscaler(bounds) {
        pool.autoscaler?.configuration = resized.configuration
      }
      logger.info("\(pool.name): target \(pool.target) children (\(delta > 0 ? "TTIN" : "TTOU"))")
    }
  }
}
