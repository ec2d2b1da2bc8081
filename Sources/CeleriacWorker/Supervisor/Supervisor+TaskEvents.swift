import CeleriacCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension Supervisor {
  /// Whether events can be sent: they are switched on and the broker carries them.
  var eventsActive: Bool { events.isEnabled && broker is any EventPublishing }

  /// A task event (`task-received`, `task-succeeded`, …) about `message`.
  func recordTaskEvent(
    _ type: String, _ message: TaskMessage, _ fields: [String: JSONValue] = [:]
  ) {
    guard eventsActive else { return }
    var all = fields
    all["uuid"] = .string(message.id)
    events.record(type, routingKey: "task.multi", all)
  }

  /// `worker-online`, `worker-heartbeat` and `worker-offline`, with the load Flower shows.
  func recordWorkerEvent(_ type: String) {
    guard eventsActive else { return }
    var load = [Double](repeating: 0, count: 3)
    _ = getloadavg(&load, 3)
    events.record(
      type, routingKey: type.replacingOccurrences(of: "-", with: "."),
      [
        "freq": .double(EventRecorder.heartbeatInterval.seconds),
        "active": .int(Int64(children.busyCount)),
        "processed": .int(Int64(totals.processed)),
        "loadavg": .array(load.map { .double(($0 * 100).rounded() / 100) }),
        "sw_ident": "celeriac", "sw_ver": "0.3", "sw_sys": "Linux",
      ])
  }

  /// Sends the events recorded since the last send (one round trip), at most once every
  /// ``EventRecorder/flushInterval`` unless `force`d, and the heartbeat when due.
  func publishEvents(force: Bool = false) {
    guard eventsActive, let publisher = broker as? any EventPublishing else { return }
    let now = clock.now
    if events.takeHeartbeat(now: now) { recordWorkerEvent("worker-heartbeat") }
    do {
      try events.flush(now: now, force: force) { try publisher.publishEvents($0) }
    } catch {
      brokerFailed("publish events", error)
    }
  }

  /// Turns events on or off (`-E`, remote control's `enable_events` / `disable_events`).
  func setEvents(_ enabled: Bool) {
    guard enabled != events.isEnabled else { return }
    if !enabled { recordWorkerEvent("worker-offline") }
    publishEvents(force: true)
    events.setEnabled(enabled, now: clock.now)
    if enabled { recordWorkerEvent("worker-online") }
    logger.info("task events \(enabled ? "enabled" : "disabled")")
  }
}
