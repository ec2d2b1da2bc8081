import CeleriacCore
import Foundation

extension Supervisor {
  /// The furthest ahead a deferred task's ETA is set, in seconds (ten years): a slot further
  /// away (a long backlog at a very low rate) is reached in several deferrals, so that no ETA
  /// leaves the range a message may carry.
  static let maximumRateDeferral: Double = 10 * 365 * 86_400

  /// The rate limit that applies to `name` now: the one set by remote control
  /// (`rate_limit`), else the task's declared one; `nil`: none.
  func currentRateLimit(of name: String) -> RateLimit? {
    rateLimits.limit(of: name, declared: registry[name]?.defaults.rateLimit)
  }

  /// Sends a task over its rate limit back to the broker with its reserved slot as ETA
  /// (acknowledging this delivery in the same commit), so that it waits there and not in a
  /// child, and other tasks of the queue go on. Returns whether it was deferred.
  ///
  /// A task declared ``RateLimitScope/global`` takes its slot from the broker's bucket
  /// (``GlobalRateLimiting``), shared by every worker; should the broker fail to answer, this
  /// worker's own limiter spaces it meanwhile (the limit then holds per worker).
  func deferForRateLimit(_ delivery: Delivery) -> Bool {
    let message = delivery.message
    guard let task = registry[message.name], let limit = currentRateLimit(of: message.name)
    else { return false }
    let now = Date().timeIntervalSince1970
    var header = RateLimiter.slotHeader
    let slot: Double?
    if task.defaults.rateLimitScope == .global, let bucket = broker as? any GlobalRateLimiting {
      header = RateSlotRequest.slotHeader
      do {
        slot = try bucket.takeRateSlot(
          RateSlotRequest(
            name: message.name, taskID: message.id, interval: limit.interval, now: now,
            claimedSlot: message.headers?[header]?.doubleValue.flatMap { $0.isFinite ? $0 : nil }))
        brokerSucceeded()
      } catch {
        brokerFailed("take a global rate slot for \(message.name)", error)
        header = RateLimiter.slotHeader
        slot = rateLimits.slot(for: message, limit: limit, now: now)
      }
    } else {
      slot = rateLimits.slot(for: message, limit: limit, now: now)
    }
    guard let slot else { return false }
    var later = message
    let due = min(slot, now + Self.maximumRateDeferral)
    later.eta = Date(timeIntervalSince1970: due)
    var headers = later.headers ?? [:]
    headers[header] = .double(slot)
    later.headers = headers
    logger.debug(
      "task \(message.name)[\(message.id)] over its rate limit \(limit) (\(task.defaults.rateLimitScope)): back to the broker until its slot in \(String(format: "%.3f", slot - now)) s"
    )
    rateLimits.noteWakeup(clock.now + .seconds(fractional: max(0, due - now)))
    pending.publish(later)
    pending.acknowledge(delivery.tag)
    return true
  }
}
