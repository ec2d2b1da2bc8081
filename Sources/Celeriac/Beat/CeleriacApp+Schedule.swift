import CeleriacCore
import CeleriacRedis
import CeleriacSQLite
import Foundation

extension CeleriacApp {
  /// Declares a periodic task run every `every` (real time, never shifted by DST), from
  /// `start` or on the grid of multiples of the interval since the Unix epoch.
  ///
  /// ```swift
  /// try app.schedule("tick", task: "tasks.add", args: [1, 2], every: .seconds(1))
  /// ```
  /// - Throws: ``BeatError`` for an invalid entry or a name already scheduled.
  public func schedule(
    _ name: String, task: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:],
    every: Duration, queue: String? = nil, start: Date? = nil, end: Date? = nil,
    missedRuns: MissedRunPolicy = .default
  ) throws(BeatError) {
    try schedule(
      ScheduleEntry(
        name: name, task: task, args: args, kwargs: kwargs, queue: queue,
        trigger: .every(seconds: every.seconds), start: start, end: end, missedRuns: missedRuns))
  }

  /// Declares a periodic task run on a crontab expression (Celery's `crontab()` meaning) read
  /// in the IANA time zone `timeZone`.
  ///
  /// ```swift
  /// try app.schedule("weekly-report", task: "tasks.report", cron: "0 7 * * mon",
  ///                  timeZone: "Europe/Berlin")
  /// ```
  /// - Throws: ``BeatError`` for a bad expression, an unknown zone, an invalid entry or a
  ///   name already scheduled.
  public func schedule(
    _ name: String, task: String, args: [JSONValue] = [], kwargs: [String: JSONValue] = [:],
    cron: String, timeZone: String = BeatDefaults.timeZoneIdentifier, queue: String? = nil,
    start: Date? = nil, end: Date? = nil, missedRuns: MissedRunPolicy = .default
  ) throws(BeatError) {
    let expression: CronExpression
    do {
      expression = try CronExpression(cron)
    } catch {
      throw error.naming(entry: name, field: "cron")
    }
    guard let zone = TimeZone(identifier: timeZone) else {
      throw BeatError(
        .unknownTimeZone, entry: name, field: "timezone",
        "'\(timeZone)' is not a known IANA time zone")
    }
    try schedule(
      ScheduleEntry(
        name: name, task: task, args: args, kwargs: kwargs, queue: queue,
        trigger: .cron(expression, zone), start: start, end: end, missedRuns: missedRuns))
  }

  /// Declares a periodic task from a built entry.
  ///
  /// - Throws: ``BeatError`` for an invalid entry or a name already scheduled.
  public func schedule(_ entry: ScheduleEntry) throws(BeatError) {
    try scheduledEntries.withLock { (entries: inout [ScheduleEntry]) throws(BeatError) in
      _ = try BeatSchedule(entries: entries + [entry])
      entries.append(entry)
    }
  }

  /// The entries declared with `schedule(...)`, in order.
  public var beatSchedule: BeatSchedule {
    // Entries were validated one by one as they were added.
    (try? BeatSchedule(entries: scheduledEntries.withLock { $0 })) ?? (try! BeatSchedule())
  }

  /// The message beat publishes for `entry`'s `due` time: the task's defaults with the entry's
  /// options, the id derived from entry and due time (``BeatTaskID``), and the entry name and
  /// due time in its headers (``BeatDefaults/entryHeader``, ``BeatDefaults/dueHeader``).
  public func beatMessage(for entry: ScheduleEntry, due: Date) -> TaskMessage {
    let hasLimits = entry.timeLimit.soft != nil || entry.timeLimit.hard != nil
    var message = makeMessage(
      entry.task, args: entry.args, kwargs: entry.kwargs,
      options: SendOptions(
        queue: entry.queue, expires: entry.expires.map { due.addingTimeInterval($0) },
        taskID: BeatTaskID.make(entry: entry.name, due: due),
        timeLimit: hasLimits ? entry.timeLimit : nil))
    message.headers = [
      BeatDefaults.entryHeader: .string(entry.name),
      BeatDefaults.dueHeader: .string(ISO8601.format(due)),
    ]
    return message
  }

  /// Beat's state in this app's broker (SQLite or Redis).
  ///
  /// - Throws: ``CeleriacError`` `.brokerUnavailable`, or `.invalidConfiguration` for a
  ///   broker that has no beat store.
  public func beatStore() throws -> any BeatStore {
    try BeatStores.open(for: connection().broker)
  }
}

/// Opens the ``BeatStore`` that belongs to a broker.
public enum BeatStores {
  /// The beat store in the same SQLite file or Redis database as `broker`.
  ///
  /// - Throws: ``CeleriacError`` `.brokerUnavailable`, or `.invalidConfiguration` for another
  ///   kind of broker.
  public static func open(for broker: any Broker) throws -> any BeatStore {
    if let sqlite = broker as? SQLiteBroker { return try SQLiteBeatStore(store: sqlite.store) }
    if let redis = broker as? RedisBroker { return RedisBeatStore(broker: redis) }
    throw CeleriacError(
      .invalidConfiguration, "beat needs a SQLite or Redis broker, not \(broker.redactedURL)")
  }
}
