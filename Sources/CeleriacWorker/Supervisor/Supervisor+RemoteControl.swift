import CeleriacCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension Supervisor {
  /// How often the loop looks for remote-control requests (Celery's clients wait 1 s).
  static let controlPollInterval: Duration = .milliseconds(50)

  /// Subscribes to Celery's remote-control channel when the broker has one; a failure only
  /// costs remote control, never the worker.
  func openControlChannel() {
    guard let controllable = broker as? any RemoteControlling else { return }
    do {
      controlChannel = try controllable.openControlChannel(hostname: configuration.hostname)
    } catch {
      logger.warning("remote control is off: \(error)")
    }
  }

  /// Answers the remote-control requests that arrived (`celery inspect ping`, Flower, …).
  func serveRemoteControl() {
    guard let controlChannel, clock.now >= nextControlPoll else { return }
    nextControlPoll = clock.now + Self.controlPollInterval
    let requests: [ControlRequest]
    do {
      requests = try controlChannel.receive()
    } catch {
      logger.warning("remote control is off: \(error)")
      self.controlChannel = nil
      return
    }
    for request in requests where request.isAddressed(to: configuration.hostname) {
      let reply = answer(request)
      logger.debug("remote control: \(request.method)")
      do {
        try controlChannel.reply(reply, from: configuration.hostname, to: request)
      } catch {
        brokerFailed("reply to remote control \(request.method)", error)
      }
    }
  }

  /// The reply to one request, in Celery's shape; commands change the worker as Celery's do.
  func answer(_ request: ControlRequest) -> JSONValue {
    switch request.method {
    case "ping":
      return ["ok": "pong"]
    case "active":
      return .array(activeTasks())
    case "reserved":
      return .array(
        pools.reserved.map { taskInfo($0.message, acknowledged: false) })
    case "scheduled":
      // Tasks with an ETA wait in the broker (Redis: a sorted set; SQLite: the row's due
      // time), never in a worker's memory: none is held here.
      return []
    case "revoked":
      return .array(revokedTaskIDs.ids.map(JSONValue.string))
    case "query_task":
      return queryTasks(request.arguments["ids"])
    case "rate_limit":
      return rateLimit(request.arguments)
    case "autoscale":
      return autoscale(request.arguments)
    case "add_consumer":
      return addConsumer(request.arguments["queue"])
    case "cancel_consumer":
      return cancelConsumer(request.arguments["queue"])
    case "registered":
      return .array(registry.names.sorted().map(JSONValue.string))
    case "active_queues":
      return .array(
        consumedQueues.map { queue in
          [
            "name": .string(queue), "routing_key": .string(queue), "durable": true,
            "exchange": ["name": .string(queue), "type": "direct"],
          ]
        })
    case "stats":
      return stats()
    case "pool_grow", "pool_shrink":
      let count = max(1, Int(clamping: request.arguments["n"]?.intValue ?? 1))
      let step = min(count, WorkerConfiguration.maximumPoolSize)
      resizePools(by: request.method == "pool_grow" ? step : -step)
      return ["ok": .string(request.method == "pool_grow" ? "pool will grow" : "pool will shrink")]
    case "revoke":
      return revoke(request.arguments)
    case "enable_events", "disable_events":
      setEvents(request.method == "enable_events")
      return ["ok": .string("task events \(events.isEnabled ? "enabled" : "disabled")")]
    case "conf":
      return ["task_send_sent_event": false, "worker_send_task_events": .bool(events.isEnabled)]
    case "shutdown":
      logger.info("remote control: warm shutdown")
      beginWarmShutdown()
      return ["ok": "shutting down"]
    default:
      return ["error": .string("no such command: \(request.method)")]
    }
  }

  func activeTasks() -> [JSONValue] {
    children.all.compactMap { child in
      guard let assignment = child.assignment else { return nil }
      var info = taskInfo(assignment.delivery.message, acknowledged: true)
      if case .object(var fields) = info {
        let started = Date().timeIntervalSince1970 - (clock.now - assignment.startedAt).seconds
        fields["time_start"] = .double(started)
        fields["worker_pid"] = .int(Int64(child.pid))
        fields["delivery_info"] = [
          "exchange": "", "routing_key": .string(assignment.delivery.message.queue),
          "priority": .int(Int64(assignment.delivery.message.priority ?? 0)),
          "redelivered": .bool(assignment.delivery.redeliveries > 0),
        ]
        info = .object(fields)
      }
      return info
    }
  }

  func taskInfo(_ message: TaskMessage, acknowledged: Bool) -> JSONValue {
    [
      "id": .string(message.id), "name": .string(message.name), "type": .string(message.name),
      "args": .array(message.args), "kwargs": .object(message.kwargs),
      "hostname": .string(configuration.hostname), "acknowledged": .bool(acknowledged),
    ]
  }

  private func stats() -> JSONValue {
    let processes = children.all.map { JSONValue.int(Int64($0.pid)) }
    return [
      "pid": .int(Int64(getpid())),
      "uptime": .int(Int64(Date().timeIntervalSince(startedAt))),
      // Celery's shape: tasks accepted, by name; Celeriac's outcome totals beside it.
      "total": .object(totals.startedByName.mapValues { .int(Int64($0)) }),
      "celeriac": [
        "succeeded": .int(Int64(totals.succeeded)), "failed": .int(Int64(totals.failed)),
      ],
      "pool": [
        "implementation": "celeriac:prefork",
        "max-concurrency": .int(Int64(pools.reduce(0) { $0 + $1.configuration.maximum })),
        "processes": .array(processes),
        "max-tasks-per-child": configuration.maxTasksPerChild.map { .int(Int64($0)) } ?? "N/A",
      ],
      "broker": ["transport": .string(broker.redactedURL.components(separatedBy: ":").first ?? "")],
    ]
  }

  /// `revoke`: marks the tasks revoked; with `terminate`, signals the child running one.
  private func revoke(_ arguments: [String: JSONValue]) -> JSONValue {
    let ids: [String]
    switch arguments["task_id"] {
    case .string(let id)?: ids = [id]
    case .array(let values)?: ids = values.compactMap(\.stringValue)
    default: return ["error": "revoke needs task_id"]
    }
    do {
      try backend.revoke(ids)
    } catch {
      return ["error": .string("cannot revoke: \(error)")]
    }
    for id in ids { revokedTaskIDs.insert(id) }
    if case .bool(true)? = arguments["terminate"] {
      let signal = Self.signalNumber(arguments["signal"]?.stringValue) ?? SIGTERM
      for child in children.all {
        guard let assignment = child.assignment, ids.contains(assignment.delivery.message.id)
        else { continue }
        logger.info("remote control: terminating task \(assignment.delivery.message.id)")
        child.endReason = .terminated
        spawner.signal(child.pid, signal)
      }
    }
    return [
      "ok": .string("tasks {\(ids.map { "'\($0)'" }.joined(separator: ", "))} flagged as revoked")
    ]
  }

  /// `TERM`, `SIGKILL`, `9` → the signal number (only the signals a terminate may send).
  static func signalNumber(_ name: String?) -> Int32? {
    guard let name else { return nil }
    let bare = name.uppercased().hasPrefix("SIG") ? String(name.uppercased().dropFirst(3)) : name
    switch bare.uppercased() {
    case "TERM", "15": return SIGTERM
    case "KILL", "9": return SIGKILL
    case "INT", "2": return SIGINT
    case "QUIT", "3": return SIGQUIT
    case "USR1", "10": return SIGUSR1
    default: return nil
    }
  }
}
