import CeleriacCore
import Foundation

extension Supervisor {
  /// Records how a task ended in its child: a value, an error (retried when its policy says
  /// so), or a retry request.
  func complete(_ delivery: Delivery, outcome: TaskOutcome, runtime: Duration) {
    let message = delivery.message
    recordRuntime(message, runtime)
    switch outcome {
    case .success(let value):
      if message.workflow != nil {
        do {
          pending.publish(
            contentsOf: try WorkflowFollowUps.afterSuccess(
              of: message, result: value, defaultQueue: defaultQueue(of:)))
        } catch {
          fail(
            delivery,
            TaskFailure(type: "ValueError", message: "the workflow's next step: \(error.message)"),
            deadLetter: "workflow step cannot be sent: \(error.message)")
          return
        }
      }
      totals.succeededOne()
      countTask(message, state: .success)
      recordTaskEvent(
        "task-succeeded", message,
        ["result": .string(value.compactDescription), "runtime": .double(runtime.seconds)])
      logger.debug("task \(message.name)[\(message.id)] succeeded in \(runtime.shortDescription)")
      if !message.options.ignoreResult {
        pending.record(
          TaskResultRecord(
            taskID: message.id, state: .success, result: value, name: message.name,
            retries: message.retries, headers: message.headers))
      }
      noteChordPart(message, ChordPartOutcome(taskID: message.id, state: .success, value: value))
      pending.acknowledge(delivery.tag)
    case .failure(let failure):
      let policy = registry[message.name]?.defaults.retry
      if let policy, policy.shouldRetry(errorType: failure.type, retries: message.retries) {
        let delay = policy.delay(afterRetries: message.retries, random: Double.random(in: 0..<1))
        scheduleRetry(delivery, after: delay, reason: failure.description)
      } else if policy != nil {
        fail(delivery, failure, deadLetter: "retries exhausted: \(failure)")
      } else {
        fail(delivery, failure, deadLetter: nil)
      }
    case .retry(let countdown, let reason):
      let policy = registry[message.name]?.defaults.retry ?? RetryPolicy()
      guard message.retries < policy.maxRetries else {
        let failure = TaskFailure(
          type: "MaxRetriesExceededError",
          message: "\(message.name) exceeded \(policy.maxRetries) retries: \(reason)",
          module: TaskFailure.celeryExceptionsModule)
        fail(delivery, failure, deadLetter: failure.message)
        return
      }
      if let countdown,
        let problem = SecondsValue.delay.problem(with: countdown, name: "retry countdown")
      {
        let failure = TaskFailure(
          type: "ValueError", message: "\(message.name) asked for a retry: \(problem)",
          module: "builtins")
        fail(delivery, failure, deadLetter: nil)
        return
      }
      let delay =
        countdown.map { Duration.seconds(fractional: $0) }
        ?? policy.delay(afterRetries: message.retries, random: Double.random(in: 0..<1))
      scheduleRetry(delivery, after: delay, reason: reason)
    }
  }

  /// The queue of a task sent by a workflow step that names none: the task's registered
  /// default, else Celery's default queue.
  func defaultQueue(of task: String) -> String {
    registry[task]?.defaults.queue ?? TaskOptions.defaultQueue
  }

  /// Publishes the next attempt with an ETA, stores RETRY, and acknowledges this one.
  func scheduleRetry(_ delivery: Delivery, after delay: Duration, reason: String) {
    var next = delivery.message
    next.retries += 1
    countTask(next, state: .retry)
    next.eta = Date().addingTimeInterval(delay.seconds)
    logger.info(
      "task \(next.name)[\(next.id)] retry \(next.retries) in \(delay.shortDescription): \(reason)")
    pending.publish(next)
    recordTaskEvent(
      "task-retried", next, ["exception": .string(reason), "traceback": .string("")])
    pending.record(
      TaskResultRecord(
        taskID: next.id, state: .retry, result: .string(reason), name: next.name,
        retries: next.retries))
    pending.acknowledge(delivery.tag)
  }

  /// Stores FAILURE; with a dead-letter reason the message goes to dead-letter, otherwise it is
  /// acknowledged.
  func fail(_ delivery: Delivery, _ failure: TaskFailure, deadLetter reason: String?) {
    let message = delivery.message
    totals.failedOne()
    countTask(message, state: .failure)
    recordTaskEvent(
      "task-failed", message,
      [
        "exception": .string(
          "\(failure.type)(\(JSONValue.string(failure.message).compactDescription))"),
        "traceback": .string(failure.traceback ?? ""),
      ])
    logger.info("task \(message.name)[\(message.id)] failed: \(failure)")
    pending.record(failureRecord(message, failure))
    noteChordPart(
      message, ChordPartOutcome(taskID: message.id, state: .failure, failure: failure))
    if message.workflow?.errbacks != nil {
      do {
        pending.publish(
          contentsOf: try WorkflowFollowUps.afterFailure(
            of: message, defaultQueue: defaultQueue(of:)))
      } catch {
        logger.error("task \(message.id): its link_error cannot be sent: \(error.message)")
      }
    }
    if let reason {
      pending.deadLetter(delivery.tag, reason: reason)
    } else {
      pending.acknowledge(delivery.tag)
    }
  }

  /// A child died holding a task: time limit → FAILURE `TimeLimitExceeded`; otherwise re-queue
  /// it (acks-late + reject-on-worker-lost, within the redelivery cap) or store FAILURE
  /// `WorkerLostError`.
  func taskLost(_ assignment: ChildProcess.Assignment, child: ChildProcess, exit: String) {
    let delivery = assignment.delivery
    let message = delivery.message
    if case .timeLimit(let seconds) = child.endReason {
      fail(
        delivery,
        TaskFailure(
          type: TaskFailure.timeLimitExceeded,
          message: "task exceeded its hard time limit of \(seconds) s",
          module: TaskFailure.celeryExceptionsModule),
        deadLetter: nil)
      return
    }
    if child.endReason == .terminated {
      logger.info(
        "task \(message.name)[\(message.id)] revoked and terminated (child \(child.pid) \(exit))")
      pending.forgetStarted(taskID: message.id)
      settle(delivery, state: .revoked, failure: nil)
      return
    }
    let why =
      child.endReason == .hung
      ? "child \(child.pid) stopped heartbeating and \(exit)" : "child \(child.pid) \(exit)"
    if message.options.requeuesWhenLost && delivery.redeliveries < message.options.maxRedeliveries {
      logger.warning(
        "task \(message.name)[\(message.id)] lost (\(why)): returning it to \(message.queue) (redelivery \(delivery.redeliveries + 1) of \(message.options.maxRedeliveries))"
      )
      pending.forgetStarted(taskID: message.id)
      pending.redeliver(delivery.tag)
      countMetric(SupervisorMetrics.redeliveries, [("task", metricTaskName(message))])
    } else if message.options.requeuesWhenLost {
      fail(
        delivery,
        TaskFailure.lostWorker(
          "\(why); redelivered \(delivery.redeliveries) times already (limit \(message.options.maxRedeliveries))"
        ),
        deadLetter: "redelivery limit reached after lost workers")
    } else {
      logger.warning("task \(message.name)[\(message.id)] lost (\(why))")
      fail(delivery, TaskFailure.lostWorker(why), deadLetter: nil)
    }
  }

  /// Writes everything collected so far, unless ``GroupCommit`` says to wait for the
  /// outcomes of busy children to join it; on error keeps it for the next turn.
  func flushPendingWrites() {
    let now = clock.now
    pending.promoteStarted(now: now)
    let moreExpected = runState == .running && children.busyCount > 0
    guard
      case .flush = groupCommit.decide(held: pending.count, moreExpected: moreExpected, now: now),
      !pending.isEmpty
    else { return }
    groupCommit.flushed()
    let started = clock.now
    var report = FlushReport()
    let destination = OutcomeDestination(
      broker: broker, backend: backend, chordCounter: chordCounter,
      resultExpiry: configuration.resultExpiry, defaultQueue: defaultQueue(of:))
    do {
      try pending.flush(to: destination, report: &report)
      recordBrokerCall("commit", since: started)
      brokerSucceeded()
      probe?.post(.flushed)
    } catch {
      brokerFailed("store outcomes (kept for the next try)", error)
    }
    countMetric(SupervisorMetrics.deadLetters, by: report.deadLettered)
    for (groupID, finished) in report.chords {
      if finished {
        logger.info("chord \(groupID) complete: body sent")
      } else {
        logger.warning("chord \(groupID): claim lost, another worker finishes it")
      }
    }
  }
}
