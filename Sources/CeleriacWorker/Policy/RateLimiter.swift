import CeleriacCore
import Foundation

/// Per-worker rate limits as evenly spaced start slots (a token bucket of capacity one, as
/// Celery's): each start of a limited task takes the next free slot of its name; a task whose
/// slot is in the future is sent back to the broker with that slot as its ETA (header
/// ``slotHeader``), and runs without taking another slot when it comes back, provided this
/// limiter reserved that slot (a header from anyone else counts for nothing). Pure: the caller
/// gives the time.
struct RateLimiter {
  /// The header that carries a task's reserved slot (Unix seconds).
  static let slotHeader = "celeriac_rate_slot"
  /// How early a task may come back for its slot and still take it.
  static let tolerance: Double = 0.005
  /// How long a reserved slot is remembered for a task that never comes back (another worker
  /// took it), in seconds.
  static let reservationLifetime: Double = 3_600

  private var nextFree: [String: Double] = [:]
  /// When each name last started: no two starts closer than the interval, even when tasks
  /// that were held up come back late together.
  private var lastStart: [String: Double] = [:]
  /// Slots handed out and not used yet: task id → slot.
  private var reserved: [String: Double] = [:]

  /// The time at which `message` may start under `limit`: `nil` for now (a slot taken, or its
  /// reserved slot reached), else the future slot reserved for it.
  mutating func slot(for message: TaskMessage, limit: RateLimit, now: Double) -> Double? {
    let spaced = (lastStart[message.name] ?? -Double.infinity) + limit.interval
    if let claimed = message.headers?[Self.slotHeader]?.doubleValue,
      let mine = reserved[message.id], mine == claimed
    {
      if mine <= now + Self.tolerance, spaced <= now + Self.tolerance {
        reserved[message.id] = nil
        lastStart[message.name] = now
        return nil
      }
      if mine > now + Self.tolerance { return mine }
    }
    let free = max(nextFree[message.name] ?? now, now, spaced)
    nextFree[message.name] = free + limit.interval
    if free <= now + Self.tolerance {
      reserved[message.id] = nil
      lastStart[message.name] = now
      return nil
    }
    reserved[message.id] = free
    if reserved.count > 1_000 {
      reserved = reserved.filter { $0.value > now - Self.reservationLifetime }
    }
    return free
  }

  /// Forgets the spacing of `name` (its rate changed): the next start of the name is free.
  /// Slots already reserved stay valid for the tasks that hold them.
  mutating func reset(_ name: String) {
    nextFree[name] = nil
    lastStart[name] = nil
  }
}
