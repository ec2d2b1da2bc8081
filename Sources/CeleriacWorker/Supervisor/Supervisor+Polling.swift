import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What one `poll` reported.
struct ReadyDescriptors {
  var readable: Set<Int32> = []
}

extension Supervisor {
  /// Polls the signal pipe, every child's socket and every child's exit descriptor.
  func waitForEvents(timeout: Duration) -> ReadyDescriptors {
    var descriptors = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
    // Broker changes matter only while a child is idle and its queue looked empty (otherwise
    // the loop claims anyway); listening always would wake it for its own writes.
    if let brokerChanges, runState == .running {
      let waiting = queuesWaitingForWork
      if !waiting.isEmpty {
        brokerChanges.expectWork(on: waiting)
        descriptors.append(
          pollfd(fd: brokerChanges.descriptor, events: Int16(POLLIN), revents: 0))
      }
    }
    for child in children.all {
      descriptors.append(pollfd(fd: child.channel.fd, events: Int16(POLLIN), revents: 0))
      descriptors.append(pollfd(fd: child.exitFD, events: Int16(POLLIN), revents: 0))
    }
    let milliseconds = Int32(clamping: max(0, timeout.wholeMilliseconds))
    let count = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
    var ready = ReadyDescriptors()
    guard count > 0 else { return ready }
    for descriptor in descriptors where descriptor.revents != 0 {
      ready.readable.insert(descriptor.fd)
    }
    if let brokerChanges, ready.readable.contains(brokerChanges.descriptor),
      brokerChanges.drain()
    {
      idlePollInterval = .zero
    }
    return ready
  }

  /// The longest the loop may sleep before some timer is due.
  func nextTimeout() -> Duration {
    let now = clock.now
    var deadline = min(nextHousekeeping, systemd.nextDue)
    for pool in pools {
      if let restart = pool.pendingRestarts.values.min() { deadline = min(deadline, restart) }
      if pool.autoscaler != nil { deadline = min(deadline, pool.nextAutoscaleSample) }
    }
    for child in children.all {
      deadline = min(deadline, child.lastHeartbeat + configuration.childTimeout)
      if let hard = child.assignment?.hardDeadline { deadline = min(deadline, hard) }
      if let kill = child.killDeadline { deadline = min(deadline, kill) }
    }
    if case .warmShutdown(let shutdownDeadline) = runState {
      deadline = min(deadline, shutdownDeadline)
    }
    if let started = pending.nextStartedDue { deadline = min(deadline, started) }
    if let slot = rateLimits.nextWakeup(after: now) { deadline = min(deadline, slot) }
    if let flush = events.nextFlushDue { deadline = min(deadline, flush) }
    if let commit = groupCommit.deadline { deadline = min(deadline, commit) }
    var timeout = max(.zero, deadline - now)
    if case .running = runState, children.hasAvailable() {
      timeout = min(timeout, idlePollInterval)
    }
    return min(timeout, .seconds(1))
  }

  /// The queues of the pools that have an idle child and found their queues empty at the
  /// last claim: work on any of them would start at once.
  var queuesWaitingForWork: [String] {
    pools.filter { pool in pool.queueLooksEmpty && children.hasAvailable(in: pool.name) }
      .flatMap(\.configuration.queues)
  }
}
