import CeleriacCore
import Foundation

extension Supervisor {
  /// Sends a task over its rate limit back to the broker with its reserved slot as ETA
  /// (acknowledging this delivery in the same commit), so that it waits there and not in a
  /// child, and other tasks of the queue go on. Returns whether it was deferred.
  func deferForRateLimit(_ delivery: Delivery) -> Bool {
    let message = delivery.message
    guard let limit = registry[message.name]?.defaults.rateLimit else { return false }
    let now = Date().timeIntervalSince1970
    guard let slot = rateLimiter.slot(for: message, limit: limit, now: now) else { return false }
    var later = message
    later.eta = Date(timeIntervalSince1970: slot)
    var headers = later.headers ?? [:]
    headers[RateLimiter.slotHeader] = .double(slot)
    later.headers = headers
    logger.debug(
      "task \(message.name)[\(message.id)] over its rate limit \(limit): back to the broker until its slot in \(String(format: "%.3f", slot - now)) s"
    )
    rateLimitWakeups.append(clock.now + .seconds(fractional: max(0, slot - now)))
    pending.publishes.append(later)
    pending.acknowledgements.append(delivery.tag)
    return true
  }

  /// The earliest wake-up for a deferred task still to come (past ones are dropped).
  func nextRateLimitWakeup() -> ContinuousClock.Instant? {
    let now = clock.now
    rateLimitWakeups.removeAll { $0 <= now }
    return rateLimitWakeups.min()
  }
}
