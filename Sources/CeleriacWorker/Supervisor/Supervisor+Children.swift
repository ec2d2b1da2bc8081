import CeleriacCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension Supervisor {
  /// Starts a child for `slot` of `pool`.
  @discardableResult
  func spawnChild(for pool: PoolState, slot: Int) -> Bool {
    let arguments =
      childArguments + [
        "--parent-pid", String(getpid()),
        "--heartbeat-ms", String(configuration.heartbeatInterval.wholeMilliseconds),
      ]
    do {
      let process = try spawner.spawn(
        executable: executablePath, arguments: arguments,
        environment: ProcessInfo.processInfo.environment)
      let child = ChildProcess(
        process: process, poolName: pool.name, slot: slot, generation: generation, now: clock.now)
      children.insert(child)
      pool.restartPolicy.recordSpawn(slot: slot, now: policyTime(child.spawnedAt))
      logger.debug("spawned child \(child.pid) for \(pool.name) slot \(slot)")
      probe?.post(.spawned(pid: child.pid, pool: pool.name))
      return true
    } catch {
      logger.error("\(error)")
      recordChildEnd(poolName: pool.name, slot: slot, kind: .bootFailure, uptime: .zero)
      return false
    }
  }

  /// Reads every message the children have sent.
  func readChildMessages(from ready: ReadyDescriptors) {
    for child in Array(children.all) where ready.readable.contains(child.channel.fd) {
      do {
        guard let events = try child.channel.receiveAvailable(ChildEvent.self) else {
          continue
        }
        for event in events { handle(event, from: child) }
      } catch {
        logger.error("child \(child.pid): \(error); killing it")
        spawner.signal(child.pid, SIGKILL)
      }
    }
  }

  func handle(_ event: ChildEvent, from child: ChildProcess) {
    child.lastHeartbeat = clock.now
    switch event {
    case .ready:
      child.everReady = true
      if let pool = pools[child.poolName], child.generation == generation {
        pool.restartPolicy.recordReady(slot: child.slot, now: policyTime(clock.now))
      }
      probe?.post(.ready(pid: child.pid))
      if child.phase == .starting { child.phase = .idle }
      if child.retireAfterTask || runState != .running { retire(child) }
    case .heartbeat:
      break
    case .progress(let tag, let state, let meta):
      guard let assignment = child.assignment, assignment.delivery.tag.rawValue == tag else {
        return
      }
      let message = assignment.delivery.message
      pending.record(
        TaskResultRecord(
          taskID: message.id, state: state, result: meta, name: message.name,
          retries: message.retries))
    case .finished(let tag, let outcome, let rssKiB):
      guard let assignment = child.assignment, assignment.delivery.tag.rawValue == tag else {
        logger.error("child \(child.pid) finished unknown delivery \(tag); killing it")
        spawner.signal(child.pid, SIGKILL)
        return
      }
      child.assignment = nil
      child.tasksCompleted += 1
      child.phase = .idle
      withTaskMetadata(assignment.delivery.message, child: child) {
        complete(assignment.delivery, outcome: outcome, runtime: clock.now - assignment.startedAt)
      }
      recycleIfNeeded(child, rssKiB: rssKiB)
      if child.retireAfterTask { retire(child) }
    }
  }

  /// Marks a child for replacement after `--max-tasks-per-child` or `--max-memory-per-child`.
  func recycleIfNeeded(_ child: ChildProcess, rssKiB: Int) {
    if let limit = configuration.maxTasksPerChild, child.tasksCompleted >= limit {
      logger.info("child \(child.pid) ran \(child.tasksCompleted) tasks: replacing it")
      child.retireAfterTask = true
    } else if let limit = configuration.maxMemoryPerChildKiB, rssKiB > limit {
      logger.info("child \(child.pid) uses \(rssKiB) KiB > \(limit) KiB: replacing it")
      child.retireAfterTask = true
    }
    if child.generation != generation || pools[child.poolName] == nil {
      child.retireAfterTask = true
    }
  }

  /// Tells an idle child to exit (planned), or marks a busy one to exit after its task.
  func retire(_ child: ChildProcess) {
    child.retireAfterTask = true
    guard child.phase == .idle else { return }
    child.phase = .stopping
    child.endReason = child.endReason ?? .planned
    try? child.channel.send(SupervisorCommand.shutdown)
  }

  /// Reaps every child whose exit descriptor became readable, handles its task as lost if it held one,
  /// and decides its slot's restart.
  func reapExitedChildren(_ ready: ReadyDescriptors) {
    for child in Array(children.all) where ready.readable.contains(child.exitFD) {
      guard let status = spawner.reap(child.pid) else { continue }
      childExited(child, status: status)
    }
  }

  func childExited(_ child: ChildProcess, status: Int32) {
    children.remove(child)
    child.channel.close()
    close(child.exitFD)
    probe?.post(.reaped(pid: child.pid))
    let description = describeExit(status)
    if let assignment = child.assignment {
      withTaskMetadata(assignment.delivery.message, child: child) {
        taskLost(assignment, child: child, exit: description)
      }
    }
    let uptime = clock.now - child.spawnedAt
    let kind: ChildExitKind
    switch child.endReason {
    case .planned?, .coldShutdown?, .terminated?:
      kind = .planned
    case nil where !child.everReady:
      kind = .bootFailure
    case nil, .hung?, .timeLimit?:
      kind = child.everReady ? .crash : .bootFailure
    }
    if kind == .planned {
      logger.debug("child \(child.pid) exited (\(description))")
    } else {
      countMetric(
        SupervisorMetrics.restarts,
        [("pool", child.poolName), ("cause", restartCause(child, kind))])
      logger.warning(
        "child \(child.pid) of \(child.poolName) \(description) after \(uptime.shortDescription)")
    }
    guard runState == .running, child.generation == generation else { return }
    recordChildEnd(poolName: child.poolName, slot: child.slot, kind: kind, uptime: uptime)
  }

  /// Feeds an exit to the pool's restart policy and acts on its decision.
  func recordChildEnd(poolName: String, slot: Int, kind: ChildExitKind, uptime: Duration) {
    guard let pool = pools[poolName] else { return }
    let now = clock.now
    let decision = pool.restartPolicy.recordExit(
      slot: slot, kind: kind, uptime: uptime, now: policyTime(now))
    switch decision {
    case .restart(let delay):
      // A planned exit frees its slot for `fillSlots`; only a crash waits out a backoff.
      guard kind != .planned else { return }
      logger.info("restarting \(poolName) slot \(slot) in \(delay.shortDescription)")
      pool.pendingRestarts[slot] = now + delay
    case .giveUp(let reason):
      logger.critical("\(poolName): \(reason); giving up")
      exitStatus = kind == .bootFailure ? .bootFailure : .crashLoop
      exitReason = reason
      beginColdShutdown()
    }
  }

  /// Kills children that stopped heartbeating (ABRT, then KILL) or ran past a hard time limit.
  func enforceHeartbeatsAndTimeLimits() {
    let now = clock.now
    for child in children.all {
      if let killDeadline = child.killDeadline {
        if now >= killDeadline {
          spawner.signal(child.pid, SIGKILL)
          child.killDeadline = nil
        }
        continue
      }
      if let assignment = child.assignment, let hard = assignment.hardDeadline, now >= hard,
        child.endReason == nil
      {
        let seconds = (hard - assignment.startedAt).seconds
        logger.error(
          "task \(assignment.delivery.message.id) passed its hard time limit (\(seconds) s): killing child \(child.pid)"
        )
        child.endReason = .timeLimit(seconds: seconds)
        child.phase = .stopping
        spawner.signal(child.pid, SIGKILL)
        continue
      }
      if now - child.lastHeartbeat > configuration.childTimeout, child.endReason == nil {
        logger.error(
          "child \(child.pid) sent no heartbeat for \(configuration.childTimeout.shortDescription): aborting it"
        )
        child.endReason = .hung
        child.phase = .stopping
        child.killDeadline = now + configuration.killGrace
        spawner.signal(child.pid, SIGABRT)
      }
    }
  }

  func describeExit(_ status: Int32) -> String {
    let signal = status & 0x7f
    if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
    return "was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
  }
}
