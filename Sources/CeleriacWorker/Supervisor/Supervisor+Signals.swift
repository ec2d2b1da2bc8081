import CeleriacCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension Supervisor {
  /// Acts on the signals recorded since the last turn.
  func handleSignals() {
    for signal in signals.drain() {
      probe?.post(.signal(signal))
      switch signal {
      case .term:
        logger.info("SIGTERM: warm shutdown")
        beginWarmShutdown()
      case .int:
        interruptCount += 1
        if interruptCount == 1 {
          logger.info("SIGINT: warm shutdown (again for cold)")
          beginWarmShutdown()
        } else {
          logger.info("SIGINT again: cold shutdown")
          beginColdShutdown()
        }
      case .quit:
        logger.info("SIGQUIT: cold shutdown")
        beginColdShutdown()
      case .hup:
        reload()
      case .ttin:
        resizePools(by: 1)
      case .ttou:
        resizePools(by: -1)
      case .usr1:
        dumpState()
      case .usr2:
        hangIfTestSwitchIsOn()
      }
    }
  }

  /// Stops taking tasks and lets running ones finish within the graceful timeout.
  func beginWarmShutdown() {
    guard case .running = runState else { return }
    runState = .warmShutdown(deadline: clock.now + configuration.gracefulTimeout)
    systemd.notifier.stopping(status: "stopping: \(children.busyCount) tasks finishing")
    for pool in pools { releaseReserved(of: pool) }
    for child in children.all { retire(child) }
  }

  /// Ends running tasks now (handled as lost), then exits.
  func beginColdShutdown() {
    if runState == .coldShutdown { return }
    runState = .coldShutdown
    systemd.notifier.stopping(status: "stopping now")
    for pool in pools { releaseReserved(of: pool) }
    for child in children.all {
      child.endReason = .coldShutdown
      child.phase = .stopping
      spawner.signal(child.pid, SIGKILL)
    }
  }

  /// Warm shutdown that ran past its deadline turns cold; keeps systemd's stop timeout extended
  /// while tasks are still finishing.
  func advanceShutdown() {
    guard case .warmShutdown(let deadline) = runState else { return }
    let now = clock.now
    if now >= deadline, !children.isEmpty {
      logger.warning(
        "graceful timeout passed with \(children.busyCount) tasks running: cold shutdown")
      beginColdShutdown()
      return
    }
    systemd.extendStopIfDue(now: now, status: "stopping: \(children.busyCount) tasks finishing")
  }

  /// SIGHUP: re-reads the configuration, starts a new generation of children from the binary
  /// on disk, and retires the old one as each child finishes its task.
  func reload() {
    guard case .running = runState else { return }
    var next = configuration
    if let reloadConfiguration {
      do {
        next = try reloadConfiguration()
      } catch {
        logger.error("SIGHUP: the new configuration does not load, keeping the old one: \(error)")
        return
      }
    }
    systemd.notifier.reloading()
    reloadInProgress = true
    generation += 1
    logger.info("SIGHUP: reloading; starting generation \(generation)")
    configuration = next
    let previous = pools
    pools = PoolTable(
      next.pools.map { pool in
        let state = makePoolState(pool)
        if let old = previous[pool.name] {
          state.restartPolicy = old.restartPolicy
          state.reserved = old.reserved
        }
        return state
      })
    for old in previous where pools[old.name] == nil && !old.reserved.isEmpty {
      pending.release(old.reserved.map(\.tag))
    }
    for child in children.all { retire(child) }
  }

  /// SIGUSR1: logs each pool and each child (pid, age, task, runtime).
  func dumpState() {
    let now = clock.now
    for pool in pools {
      logger.notice(
        "pool \(pool.name): target \(pool.target) [\(pool.configuration.minimum)..\(pool.configuration.maximum)], depth \(pool.depth), \(pool.reserved.count) reserved, restarts pending \(pool.pendingRestarts.count)"
      )
    }
    for child in children.byAscendingPID {
      var line =
        "  child \(child.pid) \(child.poolName) slot \(child.slot) gen \(child.generation) \(child.phase.rawValue), age \((now - child.spawnedAt).shortDescription), \(child.tasksCompleted) tasks"
      if let assignment = child.assignment {
        line +=
          ", running \(assignment.delivery.message.name)[\(assignment.delivery.message.id)] for \((now - assignment.startedAt).shortDescription)"
      }
      logger.notice("\(line)")
    }
  }

  /// Test-only: freezes the loop so that systemd's watchdog has something to catch.
  func hangIfTestSwitchIsOn() {
    guard ProcessInfo.processInfo.environment[SignalQueue.hangSwitchEnvironmentKey] == "1" else {
      logger.info("SIGUSR2 ignored (\(SignalQueue.hangSwitchEnvironmentKey) is not set)")
      return
    }
    logger.warning("SIGUSR2 with the test hang switch on: the loop hangs now")
    while true { sleep(3600) }
  }
}
