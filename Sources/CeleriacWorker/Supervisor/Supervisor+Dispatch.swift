import CeleriacCore
import Foundation

extension Supervisor {
  /// Claims exactly as many tasks as each pool has idle children and hands them over at once:
  /// no child ever holds a task it cannot start.
  func dispatchTasks() {
    var claimedAny = false
    var anyIdle = false
    for pool in pools {
      var idle = children.values.filter {
        $0.poolName == pool.name && $0.phase == .idle && !$0.retireAfterTask
      }
      guard !idle.isEmpty else { continue }
      anyIdle = true
      let batch: ClaimBatch
      do {
        batch = try broker.claim(
          from: pool.configuration.queues, limit: idle.count, consumer: consumer)
      } catch {
        logger.error("claim from \(pool.name) failed: \(error)")
        continue
      }
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
      claimedAny = claimedAny || !batch.deliveries.isEmpty
      let runnable = screen(batch.deliveries)
      for delivery in runnable {
        let child = idle.removeLast()
        start(delivery, on: child)
      }
    }
    adjustIdlePolling(claimedAny: claimedAny, anyIdle: anyIdle)
  }

  /// Settles deliveries that must not run (revoked, expired, unknown, redelivered too often)
  /// and returns the rest.
  func screen(_ deliveries: [Delivery]) -> [Delivery] {
    guard !deliveries.isEmpty else { return [] }
    let revoked = (try? backend.revoked(among: deliveries.map(\.message.id))) ?? []
    let now = Date()
    return deliveries.filter { delivery in
      let message = delivery.message
      if revoked.contains(message.id) {
        logger.info("task \(message.id) (\(message.name)) was revoked: not running it")
        settle(delivery, state: .revoked, failure: nil)
        return false
      }
      if let expires = message.expires, expires < now {
        logger.info("task \(message.id) (\(message.name)) expired at \(expires): not running it")
        settle(delivery, state: .revoked, failure: nil)
        return false
      }
      if registry[message.name] == nil {
        let failure = TaskFailure(
          type: TaskFailure.notRegistered, message: "task '\(message.name)' is not registered",
          module: TaskFailure.celeryExceptionsModule)
        logger.error("task \(message.id): \(failure.message); dead-lettered")
        pending.record(failureRecord(message, failure))
        pending.deadLetters.append((delivery.tag, failure.message))
        tasksFailed += 1
        return false
      }
      if delivery.redeliveries > message.options.maxRedeliveries {
        let failure = TaskFailure.lostWorker(
          "task was redelivered \(delivery.redeliveries) times after lost workers (limit \(message.options.maxRedeliveries))"
        )
        logger.error("task \(message.id): \(failure.message); dead-lettered")
        pending.record(failureRecord(message, failure))
        pending.deadLetters.append((delivery.tag, failure.message))
        tasksFailed += 1
        return false
      }
      return true
    }
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
    do {
      try child.channel.send(SupervisorCommand.run(request))
    } catch {
      logger.error("cannot hand task \(message.id) to child \(child.pid): \(error)")
      kill(child.pid, SIGKILL)
      return
    }
    if !message.options.ignoreResult {
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
      let doubled = idlePollInterval == .zero ? Duration.milliseconds(1) : idlePollInterval * 2
      idlePollInterval = min(doubled, configuration.maximumPollInterval)
    }
  }

  func failureRecord(_ message: TaskMessage, _ failure: TaskFailure) -> TaskResultRecord {
    TaskResultRecord(
      taskID: message.id, state: .failure, failure: failure, name: message.name,
      retries: message.retries)
  }

  /// Stores a final state for a delivery that did not run, and acknowledges it.
  func settle(_ delivery: Delivery, state: TaskState, failure: TaskFailure?) {
    let message = delivery.message
    pending.record(
      TaskResultRecord(
        taskID: message.id, state: state, failure: failure, name: message.name,
        retries: message.retries))
    pending.acknowledgements.append(delivery.tag)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
