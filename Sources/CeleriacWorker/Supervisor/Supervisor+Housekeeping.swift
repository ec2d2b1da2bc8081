import CeleriacCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension Supervisor {
  /// Renews the lease, returns abandoned tasks to their queues, and deletes expired results.
  func performHousekeeping() {
    let now = clock.now
    guard now >= nextHousekeeping else { return }
    nextHousekeeping = now + housekeepingInterval
    do {
      try renewLease()
      let recovered = try broker.recoverAbandoned()
      if recovered > 0 {
        logger.warning("returned \(recovered) tasks of a lost worker to their queues")
      }
      try takeOverAbandonedChords()
      _ = try backend.deleteExpired()
      let trimmed = try broker.trimDeadLetters(
        keeping: configuration.deadLetterLimit, olderThan: configuration.deadLetterRetention)
      if trimmed > 0 { logger.info("deleted \(trimmed) old dead letters") }
    } catch {
      brokerFailed("housekeeping", error)
    }
  }

  /// Renews the lease and drops what another supervisor took back meanwhile.
  func renewLease() throws {
    let lost = try broker.renewLease(for: consumer)
    leaseRenewedAt = clock.now
    if !lost.isEmpty { forgetLostDeliveries(Set(lost)) }
  }

  /// Whether the lease is fresh enough to start reserved tasks: after a stall or a network
  /// cut longer than a part of the lease, the lease is renewed first, which reports (and so
  /// drops) the reserved tasks another supervisor took back. `false` while the broker cannot
  /// be reached.
  func confirmLease() -> Bool {
    guard clock.now - leaseRenewedAt > configuration.lease / 2 else { return true }
    do {
      try renewLease()
      brokerSucceeded()
      return true
    } catch {
      brokerFailed("renew lease", error)
      return false
    }
  }

  /// Drops deliveries whose lease ran out and that another supervisor has taken back (this
  /// one stalled or was cut off): reserved ones are never started; a running one finishes,
  /// but the broker no longer lets this supervisor settle it.
  func forgetLostDeliveries(_ lost: Set<DeliveryTag>) {
    var dropped = 0
    for pool in pools {
      let before = pool.reserved.count
      pool.reserved.removeAll { lost.contains($0.tag) }
      dropped += before - pool.reserved.count
    }
    let running = children.holding(lost)
    logger.warning(
      "lease ran out: \(lost.count) tasks were taken back by another worker (\(dropped) reserved dropped, \(running.count) running will not be acknowledged)"
    )
  }

  /// The housekeeping interval, at most a third of the lease: renewing any later would make
  /// this supervisor's own tasks look abandoned.
  var housekeepingInterval: Duration {
    min(configuration.housekeepingInterval, configuration.lease / 3)
  }

  /// Sends READY once every pool's first children are up, STATUS when it changes (at most every
  /// status interval), and WATCHDOG pings from this loop only.
  func reportToSystemd() {
    let now = clock.now
    systemd.pingWatchdogIfDue(now: now)
    guard runState == .running else { return }
    if !systemd.announcedReady || reloadInProgress, allPoolsReady {
      refreshDepths()
      publishWorkerStatus(state: .running)
      let status = statusLine()
      if !systemd.announcedReady { logger.info("all pools ready: \(status)") }
      if reloadInProgress { logger.info("reload complete: \(status)") }
      systemd.ready(status: status, now: now)
      reloadInProgress = false
      return
    }
    guard systemd.takeStatusRefresh(now: now) else { return }
    refreshDepths()
    publishWorkerStatus()
    systemd.status(statusLine())
  }

  /// Publishes this supervisor's pools to the broker for `celeriac inspect`.
  func publishWorkerStatus(state: WorkerState? = nil) {
    let status = WorkerStatus(
      hostname: configuration.hostname, pid: getpid(), startedAt: startedAt,
      state: state ?? (reloadInProgress ? .reloading : .running),
      pools: pools.map { pool in
        let census = census(of: pool)
        return PoolStatus(
          name: pool.name, queues: pool.configuration.queues, depth: pool.depth,
          busy: census.busy, idle: census.idle, target: pool.target,
          minimum: pool.configuration.minimum, maximum: pool.configuration.maximum)
      }, succeeded: totals.succeeded, failed: totals.failed)
    do {
      try broker.publishWorkerStatus(
        status, expiresIn: WorkerConfiguration.defaultStatusLifetime)
    } catch {
      brokerFailed("publish the worker status", error)
    }
  }

  /// Reads every pool's queue depth for the status line (autoscaling pools read theirs anyway),
  /// unless ``DepthReadSchedule`` says the last read is recent enough for its cost.
  func refreshDepths() {
    let started = clock.now
    guard depthReads.allows(now: started),
      let depths = try? broker.depths(of: consumedQueues)
    else { return }
    depthReads.record(from: started, to: clock.now)
    updateQueueMetrics(depths)
    for pool in pools {
      pool.depth = pool.configuration.queues.reduce(0) { $0 + (depths[$1] ?? 0) }
    }
  }

  /// Whether every pool of the current generation has reached its target with ready children.
  var allPoolsReady: Bool {
    pools.allSatisfy { pool in census(of: pool).ready >= pool.target }
  }

  /// `celery: 2/4 busy, 12 queued; images: 0/1 busy, 0 queued`.
  func statusLine() -> String {
    let outage = brokerHealth.isDown ? "broker unavailable, retrying; " : ""
    return outage
      + pools.map { pool in
        let census = census(of: pool)
        return "\(pool.name): \(census.busy)/\(census.active) busy, \(pool.depth) queued"
      }.joined(separator: "; ")
  }
}
