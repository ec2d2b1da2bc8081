import CeleriacCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension Supervisor {
  /// How often a worker with events on sends `worker-heartbeat` (Celery's default `freq`).
  static let eventHeartbeatInterval: Duration = .seconds(2)
  /// The most events held while the broker does not take them; the oldest are dropped.
  static let maximumPendingEvents = 10_000
  /// The shortest time between two sends of events: under load a turn's few events wait to go
  /// with the next turns' (one SQLite transaction or one Redis pipeline ten times a second,
  /// not one per turn, measured at 1.6× the CPU per task of a drain on SQLite); after a quiet
  /// spell the first event goes at once.
  static let eventFlushInterval: Duration = .milliseconds(100)
  /// Pending events that are sent at once, whatever the interval.
  static let eventBatchLimit = 1_000

  /// Whether events can be sent: they are switched on and the broker carries them.
  var eventsActive: Bool { eventsEnabled && broker is any EventPublishing }

  /// Records one of Celery's events with the fields every event carries.
  func recordEvent(_ type: String, routingKey: String, _ fields: [String: JSONValue] = [:]) {
    guard eventsActive else { return }
    eventClock += 1
    var all = fields
    all["type"] = .string(type)
    all["hostname"] = .string(configuration.hostname)
    all["utcoffset"] = .double(0)
    all["pid"] = .int(Int64(getpid()))
    all["clock"] = .int(Int64(eventClock))
    all["timestamp"] = .double(Date().timeIntervalSince1970)
    if pendingEvents.count >= Self.maximumPendingEvents {
      // The oldest tenth at once: dropping one at a time would move the whole array per event.
      pendingEvents.removeFirst(Self.maximumPendingEvents / 10)
    }
    pendingEvents.append(WorkerEvent(routingKey: routingKey, fields: all))
  }

  /// A task event (`task-received`, `task-succeeded`, …) about `message`.
  func recordTaskEvent(
    _ type: String, _ message: TaskMessage, _ fields: [String: JSONValue] = [:]
  ) {
    guard eventsActive else { return }
    var all = fields
    all["uuid"] = .string(message.id)
    recordEvent(type, routingKey: "task.multi", all)
  }

  /// `worker-online`, `worker-heartbeat` and `worker-offline`, with the load Flower shows.
  func recordWorkerEvent(_ type: String) {
    guard eventsActive else { return }
    var load = [Double](repeating: 0, count: 3)
    _ = getloadavg(&load, 3)
    recordEvent(
      type, routingKey: type.replacingOccurrences(of: "-", with: "."),
      [
        "freq": .double(Self.eventHeartbeatInterval.seconds),
        "active": .int(Int64(children.values.filter { $0.assignment != nil }.count)),
        "processed": .int(Int64(tasksSucceeded + tasksFailed)),
        "loadavg": .array(load.map { .double(($0 * 100).rounded() / 100) }),
        "sw_ident": "celeriac", "sw_ver": "0.3", "sw_sys": "Linux",
      ])
  }

  /// Sends the events recorded since the last send (one round trip), at most once every
  /// ``eventFlushInterval`` unless `force`d, and the heartbeat when due.
  func publishEvents(force: Bool = false) {
    guard eventsActive, let publisher = broker as? any EventPublishing else { return }
    let now = clock.now
    if now >= nextEventHeartbeat {
      nextEventHeartbeat = now + Self.eventHeartbeatInterval
      recordWorkerEvent("worker-heartbeat")
    }
    guard !pendingEvents.isEmpty else { return }
    guard force || now >= nextEventFlush || pendingEvents.count >= Self.eventBatchLimit else {
      return
    }
    nextEventFlush = now + Self.eventFlushInterval
    do {
      try publisher.publishEvents(pendingEvents)
      pendingEvents.removeAll(keepingCapacity: true)
    } catch {
      brokerFailed("publish events", error)
    }
  }

  /// Turns events on or off (`-E`, remote control's `enable_events` / `disable_events`).
  func setEvents(_ enabled: Bool) {
    guard enabled != eventsEnabled else { return }
    if !enabled { recordWorkerEvent("worker-offline") }
    publishEvents(force: true)
    eventsEnabled = enabled
    if enabled {
      recordWorkerEvent("worker-online")
      nextEventHeartbeat = clock.now
    }
    logger.info("task events \(enabled ? "enabled" : "disabled")")
  }
}
