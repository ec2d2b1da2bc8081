import CeleriacCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Celery's events (`-E`) of one supervisor: whether they are on, the ones recorded and not
/// yet sent, their Lamport clock, and when the next heartbeat and the next send are due.
struct EventRecorder {
  /// How often a worker with events on sends `worker-heartbeat` (Celery's default `freq`).
  static let heartbeatInterval: Duration = .seconds(2)
  /// The most events held while the broker does not take them; the oldest are dropped.
  static let maximumPending = 10_000
  /// The shortest time between two sends of events: under load a turn's few events wait to go
  /// with the next turns' (one SQLite transaction or one Redis pipeline ten times a second,
  /// not one per turn, measured at 1.6× the CPU per task of a drain on SQLite); after a quiet
  /// spell the first event goes at once.
  static let flushInterval: Duration = .milliseconds(100)
  /// Pending events that are sent at once, whatever the interval.
  static let batchLimit = 1_000

  /// The `hostname` every event carries.
  let hostname: String
  /// Whether events are recorded.
  private(set) var isEnabled = false
  private var pending: [WorkerEvent] = []
  private var clock = 0
  private var nextHeartbeat: ContinuousClock.Instant
  private var nextFlush: ContinuousClock.Instant

  /// A recorder that is off.
  init(hostname: String, now: ContinuousClock.Instant) {
    self.hostname = hostname
    nextHeartbeat = now
    nextFlush = now
  }

  /// When the loop must wake to send what is held; nil when nothing is.
  var nextFlushDue: ContinuousClock.Instant? { pending.isEmpty ? nil : nextFlush }

  /// Turns recording on or off; on, the first heartbeat is due at once.
  mutating func setEnabled(_ enabled: Bool, now: ContinuousClock.Instant) {
    isEnabled = enabled
    if enabled { nextHeartbeat = now }
  }

  /// Records an event of `type` with the fields every event carries.
  mutating func record(_ type: String, routingKey: String, _ fields: [String: JSONValue]) {
    guard isEnabled else { return }
    clock += 1
    var all = fields
    all["type"] = .string(type)
    all["hostname"] = .string(hostname)
    all["utcoffset"] = .double(0)
    all["pid"] = .int(Int64(getpid()))
    all["clock"] = .int(Int64(clock))
    all["timestamp"] = .double(Date().timeIntervalSince1970)
    if pending.count >= Self.maximumPending {
      // The oldest tenth at once: dropping one at a time would move the whole array per event.
      pending.removeFirst(Self.maximumPending / 10)
    }
    pending.append(WorkerEvent(routingKey: routingKey, fields: all))
  }

  /// Whether `worker-heartbeat` is due; if so, the next one is scheduled.
  mutating func takeHeartbeat(now: ContinuousClock.Instant) -> Bool {
    guard isEnabled, now >= nextHeartbeat else { return false }
    nextHeartbeat = now + Self.heartbeatInterval
    return true
  }

  /// Sends the held events with `send` when a send is due (or `force`d); they are dropped only
  /// once `send` returns.
  mutating func flush(
    now: ContinuousClock.Instant, force: Bool, _ send: ([WorkerEvent]) throws -> Void
  ) rethrows {
    guard !pending.isEmpty else { return }
    guard force || now >= nextFlush || pending.count >= Self.batchLimit else { return }
    nextFlush = now + Self.flushInterval
    try send(pending)
    pending.removeAll(keepingCapacity: true)
  }
}
