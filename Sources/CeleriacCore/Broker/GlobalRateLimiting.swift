/// A broker that keeps one token bucket per task name for rate limits shared by every worker
/// using it (``RateLimitScope/global``).
///
/// The bucket has a capacity of one, as the per-worker limiter: starts are evenly spaced by
/// the rate's interval. Taking a slot is one atomic step in the broker (a Lua script on
/// Redis, a write transaction on SQLite): the bucket's next free time moves on by one
/// interval, and a slot in the future is *reserved* for the task (by id), so that when the
/// task comes back at its slot (it waits in the broker with that slot as its ETA) it starts
/// without taking another. A slot that no task claims is forgotten after
/// ``RateSlotRequest/reservationLifetime``, and an idle bucket disappears then too.
public protocol GlobalRateLimiting: Broker {
  /// Takes a start slot for `request.taskID`: `nil` when it may start now (a slot was free,
  /// or its reserved slot is reached), else the future slot reserved for it (Unix seconds).
  func takeRateSlot(_ request: RateSlotRequest) throws -> Double?
}

/// One request for a start slot of a globally rate-limited task.
public struct RateSlotRequest: Sendable, Equatable {
  /// How early a task may come back for its slot and still take it, in seconds.
  public static let tolerance: Double = 0.005
  /// How long a reserved slot and an idle bucket are kept, in seconds.
  public static let reservationLifetime: Double = 3_600

  /// The task name: one bucket per name.
  public var name: String
  /// The task id the slot is reserved for.
  public var taskID: String
  /// The spacing between two starts (``RateLimit/interval``), in seconds.
  public var interval: Double
  /// The caller's time (Unix seconds). Every worker sharing a bucket should keep its clock in
  /// sync (NTP), as they must for ETAs.
  public var now: Double
  /// The slot the message says was reserved for it (header ``slotHeader``); it counts only
  /// when the broker holds that reservation for this task id.
  public var claimedSlot: Double?

  /// The header that carries a globally reserved slot (Unix seconds).
  public static let slotHeader = "celeriac_global_rate_slot"

  /// Creates a request.
  public init(name: String, taskID: String, interval: Double, now: Double, claimedSlot: Double?) {
    self.name = name
    self.taskID = taskID
    self.interval = interval
    self.now = now
    self.claimedSlot = claimedSlot
  }
}
