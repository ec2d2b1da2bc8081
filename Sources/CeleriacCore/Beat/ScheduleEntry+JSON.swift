import Foundation

extension ScheduleEntry {
  /// The fields a schedule entry may have in JSON.
  public static let jsonFields: Set<String> = [
    "name", "task", "args", "kwargs", "queue", "every", "cron", "timezone", "start", "end",
    "missed_runs", "enabled", "expires", "soft_time_limit", "time_limit",
  ]

  /// Reads an entry from its JSON object, strictly: unknown fields, wrong types, a bad cron
  /// field, an unknown zone, both or neither of `every` and `cron` are errors.
  ///
  /// - Throws: ``BeatError`` naming the entry (or its position when it has no name) and the
  ///   field.
  public init(json: JSONValue, position: Int? = nil) throws(BeatError) {
    guard case .object(let object) = json else {
      throw BeatError(
        .invalidEntry, entry: position.map { "#\($0 + 1)" }, "an entry must be a JSON object")
    }
    let label = object["name"]?.stringValue ?? position.map { "#\($0 + 1)" }
    func fail(_ field: String, _ reason: String, code: BeatError.Code = .invalidEntry)
      -> BeatError
    {
      BeatError(code, entry: label, field: field, reason)
    }
    if let unknown = object.keys.sorted().first(where: { !Self.jsonFields.contains($0) }) {
      throw fail(unknown, "is not a schedule entry field", code: .unknownField)
    }
    func string(_ field: String) throws(BeatError) -> String? {
      guard let value = object[field], value != .null else { return nil }
      guard case .string(let text) = value else { throw fail(field, "must be a string") }
      return text
    }
    func number(_ field: String) throws(BeatError) -> Double? {
      guard let value = object[field], value != .null else { return nil }
      guard let number = value.doubleValue else { throw fail(field, "must be a number") }
      return number
    }
    func date(_ field: String) throws(BeatError) -> Date? {
      guard let text = try string(field) else { return nil }
      guard let date = ISO8601.parse(text) else {
        throw fail(field, "'\(text)' is not an ISO 8601 time (e.g. 2026-12-01T08:00:00Z)")
      }
      return date
    }
    guard let name = try string("name") else { throw fail("name", "is missing") }
    guard let task = try string("task") else { throw fail("task", "is missing") }
    var args: [JSONValue] = []
    if let value = object["args"], value != .null {
      guard case .array(let array) = value else { throw fail("args", "must be an array") }
      args = array
    }
    var kwargs: [String: JSONValue] = [:]
    if let value = object["kwargs"], value != .null {
      guard case .object(let dictionary) = value else { throw fail("kwargs", "must be an object") }
      kwargs = dictionary
    }
    let every = try number("every")
    let cron = try string("cron")
    let zoneName = try string("timezone")
    let trigger: ScheduleTrigger
    switch (every, cron) {
    case (let seconds?, nil):
      if zoneName != nil {
        throw fail("timezone", "applies to cron entries only (every is in real seconds)")
      }
      trigger = .every(seconds: seconds)
    case (nil, let text?):
      let expression: CronExpression
      do {
        expression = try CronExpression(text)
      } catch {
        throw error.naming(entry: label, field: "cron")
      }
      let identifier = zoneName ?? BeatDefaults.timeZoneIdentifier
      guard let zone = TimeZone(identifier: identifier) else {
        throw fail(
          "timezone", "'\(identifier)' is not a known IANA time zone", code: .unknownTimeZone)
      }
      trigger = .cron(expression, zone)
    case (nil, nil): throw fail("every", "an entry needs one of 'every' and 'cron'")
    case (_?, _?): throw fail("cron", "an entry has 'every' or 'cron', not both")
    }
    var missedRuns = MissedRunPolicy.default
    if let text = try string("missed_runs") {
      guard let policy = MissedRunPolicy(rawValue: text) else {
        throw fail("missed_runs", "'\(text)' is not one of once, skip")
      }
      missedRuns = policy
    }
    var enabled = true
    if let value = object["enabled"], value != .null {
      guard case .bool(let flag) = value else { throw fail("enabled", "must be true or false") }
      enabled = flag
    }
    self.init(
      name: name, task: task, args: args, kwargs: kwargs, queue: try string("queue"),
      trigger: trigger, start: try date("start"), end: try date("end"), missedRuns: missedRuns,
      enabled: enabled, expires: try number("expires"),
      timeLimit: TimeLimits(soft: try number("soft_time_limit"), hard: try number("time_limit")))
    try validate()
  }

  /// The entry as the JSON object ``init(json:position:)`` reads (how dynamic entries are
  /// stored in the broker).
  public var json: JSONValue {
    var object: [String: JSONValue] = ["name": .string(name), "task": .string(task)]
    if !args.isEmpty { object["args"] = .array(args) }
    if !kwargs.isEmpty { object["kwargs"] = .object(kwargs) }
    if let queue { object["queue"] = .string(queue) }
    switch trigger {
    case .every(let seconds): object["every"] = .double(seconds)
    case .cron(let expression, let zone):
      object["cron"] = .string(expression.description)
      object["timezone"] = .string(zone.identifier)
    }
    if let start { object["start"] = .string(ISO8601.format(start)) }
    if let end { object["end"] = .string(ISO8601.format(end)) }
    if missedRuns != .default { object["missed_runs"] = .string(missedRuns.rawValue) }
    if !enabled { object["enabled"] = .bool(false) }
    if let expires { object["expires"] = .double(expires) }
    if let soft = timeLimit.soft { object["soft_time_limit"] = .double(soft) }
    if let hard = timeLimit.hard { object["time_limit"] = .double(hard) }
    return .object(object)
  }

  /// A short description of when it is due: `every 1s` or `cron 0 7 * * mon Europe/Berlin`.
  public var triggerDescription: String {
    switch trigger {
    case .every(let seconds):
      let text = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
      return "every \(text)s"
    case .cron(let expression, let zone): return "cron \(expression) \(zone.identifier)"
    }
  }
}
