import CeleriacCore
import Foundation

extension Supervisor {
  /// Hands tasks to idle children: first from the pool's reserve, then freshly claimed.
  ///
  /// A child only ever receives a task it starts at once. The supervisor may hold a small
  /// reserve per pool (`--prefetch-multiplier` × children, under the same lease) so that a
  /// child that finishes gets its next task without waiting for the broker, and claims are
  /// batched; whichever child is idle first takes the next reserved task.
  func dispatchTasks() {
    // Reserved tasks may have been taken back by another supervisor if this one stalled.
    guard confirmLease() else { return }
    var claimedAny = false
    var anyIdle = false
    for pool in pools {
      var idle = children.available(in: pool.name)
      anyIdle = anyIdle || !idle.isEmpty
      startReserved(of: pool, on: &idle)
      let want = claimSize(for: pool, idle: idle.count)
      guard want > 0 else { continue }
      guard let batch = claim(for: pool, limit: want) else { continue }
      claimedAny = claimedAny || !batch.deliveries.isEmpty
      pool.queueLooksEmpty = batch.deliveries.count < want
      for delivery in screen(batch.deliveries, revoked: batch.revoked) {
        if let child = idle.popLast() {
          start(delivery, on: child)
        } else {
          pool.reserved.append(delivery)
        }
      }
    }
    adjustIdlePolling(claimedAny: claimedAny, anyIdle: anyIdle)
  }

  /// Hands reserved tasks to the children that are idle now, before this turn's writes are
  /// flushed: a child that has just reported its outcome starts its next task while the
  /// supervisor stores that outcome, rather than after. The outcome is still acknowledged
  /// only once stored; the reserved task was claimed, under this supervisor's lease, by an
  /// earlier turn.
  func dispatchReserved() {
    guard pools.contains(where: { !$0.reserved.isEmpty }), confirmLease() else { return }
    for pool in pools where !pool.reserved.isEmpty {
      var idle = children.available(in: pool.name)
      startReserved(of: pool, on: &idle)
    }
  }

  /// Starts reserved tasks of `pool`, oldest first, on children taken from the end of `idle`.
  private func startReserved(of pool: PoolState, on idle: inout [ChildProcess]) {
    while !idle.isEmpty, !pool.reserved.isEmpty {
      start(pool.reserved.removeFirst(), on: idle.removeLast())
    }
  }

  /// How many tasks to claim for a pool now: enough for its idle children plus a refill of
  /// its reserve once that is half used, and only for idle children while the queue looked
  /// empty at the last claim (so a busy pool does not claim from an empty queue every turn).
  func claimSize(for pool: PoolState, idle: Int) -> Int {
    let reserveTarget = configuration.prefetchMultiplier * activeChildren(of: pool).count
    let reserveShort = reserveTarget - pool.reserved.count
    let refill = !pool.queueLooksEmpty && reserveShort * 2 >= max(reserveTarget, 1)
    if idle > 0 { return idle + max(reserveShort, 0) }
    return refill ? reserveShort : 0
  }

  /// Claims up to `limit` tasks for a pool; dead-lettered messages get a FAILURE result.
  func claim(for pool: PoolState, limit: Int) -> ClaimBatch? {
    let batch: ClaimBatch
    do {
      let started = clock.now
      batch = try broker.claim(from: pool.configuration.queues, limit: limit, consumer: consumer)
      recordBrokerCall("claim", since: started)
      brokerSucceeded()
    } catch {
      brokerFailed("claim from \(pool.name)", error)
      return nil
    }
    countMetric(SupervisorMetrics.deadLetters, by: batch.deadLettered.count)
    for entry in batch.deadLettered {
      logger.error(
        "dead-lettered a message from \(entry.queue) (task \(entry.taskID ?? "unknown")): \(entry.reason)"
      )
      if let id = entry.taskID {
        pending.record(
          TaskResultRecord(
            taskID: id, state: .failure,
            failure: TaskFailure(
              type: TaskFailure.badMessage, message: entry.reason,
              module: TaskFailure.celeryExceptionsModule)))
      }
    }
    return batch
  }

  /// Returns every reserved task to its queue (shutdown; pools removed by a reload).
  func releaseReserved(of pool: PoolState) {
    guard !pool.reserved.isEmpty else { return }
    logger.info("returning \(pool.reserved.count) reserved tasks of \(pool.name)")
    pending.release(pool.reserved.map(\.tag))
    pool.reserved.removeAll()
  }

  /// Settles deliveries that must not run (revoked, expired, unknown, redelivered too often)
  /// and returns the rest. `revoked` is what the claim found, used when the broker shares
  /// the backend's storage (else the backend is asked).
  func screen(_ deliveries: [Delivery], revoked claimed: Set<String>?) -> [Delivery] {
    guard !deliveries.isEmpty else { return [] }
    let sharesStorage = (broker as? any OutcomeCommitting)?.sharesStorage(with: backend) ?? false
    let revoked =
      (sharesStorage ? claimed : nil)
      ?? (try? backend.revoked(among: deliveries.map(\.message.id))) ?? []
    let now = Date()
    return deliveries.filter { delivery in
      let message = delivery.message
      if revoked.contains(message.id) {
        logger.info("task \(message.id) (\(message.name)) was revoked: not running it")
        revokedTaskIDs.insert(message.id)
        settle(delivery, state: .revoked, failure: nil)
        return false
      }
      if let expires = message.expires, expires < now {
        logger.info("task \(message.id) (\(message.name)) expired at \(expires): not running it")
        settle(delivery, state: .revoked, failure: nil)
        return false
      }
      if let reason = message.workflow?.unsupportedReason(countingChords: countsChords) {
        refuseWorkflow(delivery, reason: reason)
        return false
      }
      if let reason = message.workflow?.selfReference(taskID: message.id) {
        refuseWorkflow(delivery, reason: reason, type: "ValueError")
        return false
      }
      if let chord = message.workflow?.chord, chord != .null, countsChords,
        message.groupID?.isEmpty ?? true
      {
        refuseWorkflow(delivery, reason: "a chord part that names no group")
        return false
      }
      if message.name == CeleryChunks.name, registry[message.name] == nil {
        serveChunks(delivery)
        return false
      }
      if registry[message.name] == nil {
        let failure = TaskFailure(
          type: TaskFailure.notRegistered, message: "task '\(message.name)' is not registered",
          module: TaskFailure.celeryExceptionsModule)
        refuse(delivery, failure)
        return false
      }
      if delivery.redeliveries > message.options.maxRedeliveries {
        let failure = TaskFailure.lostWorker(
          "task was redelivered \(delivery.redeliveries) times after lost workers (limit \(message.options.maxRedeliveries))"
        )
        refuse(delivery, failure)
        return false
      }
      return !deferForRateLimit(delivery)
    }
  }

  /// Fails a task whose workflow this worker cannot honour, before it runs, rather than
  /// running it with parts dropped: FAILURE and dead-letter for the task, and FAILURE for a
  /// chord body that would otherwise be waited for in vain.
  func refuseWorkflow(_ delivery: Delivery, reason: String, type: String = "NotImplementedError") {
    let message = delivery.message
    refuse(delivery, TaskFailure(type: type, message: "task \(message.name): \(reason)"))
    if case .object(let body)? = message.workflow?.chord,
      case .object(let options)? = body["options"], let bodyID = options["task_id"]?.stringValue
    {
      pending.record(
        TaskResultRecord(
          taskID: bodyID, state: .failure,
          failure: TaskFailure(
            type: "ChordError", message: "header task \(message.id): \(reason)",
            module: TaskFailure.celeryExceptionsModule),
          name: body["task"]?.stringValue))
    }
  }

  /// Stores FAILURE for a delivery that must not run, and dead-letters it.
  func refuse(_ delivery: Delivery, _ failure: TaskFailure) {
    let message = delivery.message
    logger.error("task \(message.id): \(failure.message); dead-lettered")
    pending.record(failureRecord(message, failure))
    pending.deadLetter(delivery.tag, reason: failure.message)
    totals.failedOne()
    countTask(message, state: .failure)
  }

  /// Hands `delivery` to the idle `child` and stores STARTED.
  func start(_ delivery: Delivery, on child: ChildProcess) {
    let message = delivery.message
    let now = clock.now
    let hard = message.timeLimit.hard ?? configuration.timeLimit
    let soft = message.timeLimit.soft ?? configuration.softTimeLimit
    let request = RunRequest(tag: delivery.tag.rawValue, message: message, softTimeLimit: soft)
    child.assignment = ChildProcess.Assignment(
      delivery: delivery, startedAt: now,
      hardDeadline: hard.map { now + .seconds(fractional: $0) })
    child.phase = .busy
    if eventsActive {
      recordTaskEvent(
        "task-received", message,
        [
          "name": .string(message.name),
          "args": .string(JSONValue.array(message.args).compactDescription),
          "kwargs": .string(JSONValue.object(message.kwargs).compactDescription),
          "root_id": .string(message.rootID ?? message.id),
          "parent_id": message.parentID.map(JSONValue.string) ?? .null,
          "retries": .int(Int64(message.retries)),
        ])
      recordTaskEvent("task-started", message, ["pid": .int(Int64(child.pid))])
    }
    do {
      // The broker's own JSON of the message when it has one (SQLite), else the message
      // written by JSONWriter: no JSONEncoder on the supervisor's thread per task. Stored JSON
      // may be valid with a newline between tokens (a row written by hand), which would split
      // the run line: such a message is written anew.
      let stored = delivery.messageJSON.flatMap { $0.utf8.contains(0x0A) ? nil : $0 }
      let line =
        try stored.map {
          try SupervisorCommand.runLine(tag: request.tag, messageJSON: $0, softTimeLimit: soft)
        } ?? SupervisorCommand.runLine(request)
      try child.channel.sendLine(line)
    } catch {
      logger.error("cannot hand task \(message.id) to child \(child.pid): \(error)")
      spawner.signal(child.pid, SIGKILL)
      return
    }
    totals.started(message.name)
    probe?.post(.dispatched(taskID: message.id, pid: child.pid))
    withTaskMetadata(message, child: child) {
      logger.debug("task \(message.name)[\(message.id)] started in child \(child.pid)")
    }
    if !message.options.ignoreResult {
      pending.noteRun(of: message, worker: configuration.hostname, pid: child.pid)
      pending.recordStarted(
        TaskResultRecord(
          taskID: message.id, state: .started, name: message.name, retries: message.retries),
        at: now)
    }
  }

  /// Polls again at once after a claim found work; backs off to the maximum interval while the
  /// queues are empty.
  func adjustIdlePolling(claimedAny: Bool, anyIdle: Bool) {
    if claimedAny || !anyIdle {
      idlePollInterval = .zero
    } else {
      // With a change signal the poll is only a safety net, so it may back off further.
      let ceiling =
        !(brokerChanges?.seesEveryChange ?? false) && !brokerHealth.isDown
        ? configuration.maximumPollInterval
        : max(configuration.maximumPollInterval, WorkerConfiguration.signalledPollInterval)
      let doubled =
        idlePollInterval == .zero ? WorkerConfiguration.firstPollInterval : idlePollInterval * 2
      idlePollInterval = min(doubled, ceiling)
    }
  }

  func failureRecord(_ message: TaskMessage, _ failure: TaskFailure) -> TaskResultRecord {
    TaskResultRecord(
      taskID: message.id, state: .failure, failure: failure, name: message.name,
      retries: message.retries, headers: message.headers)
  }

  /// Stores a final state for a delivery that did not run, and acknowledges it.
  func settle(_ delivery: Delivery, state: TaskState, failure: TaskFailure?) {
    let message = delivery.message
    if state == .revoked { recordTaskEvent("task-revoked", message, ["terminated": false]) }
    countTask(message, state: state)
    pending.record(
      TaskResultRecord(
        taskID: message.id, state: state, failure: failure, name: message.name,
        retries: message.retries))
    noteChordPart(
      message,
      ChordPartOutcome(
        taskID: message.id, state: state,
        failure: failure
          ?? TaskFailure(
            type: "TaskRevokedError", message: "revoked",
            module: TaskFailure.celeryExceptionsModule)))
    pending.acknowledge(delivery.tag)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
