import Celeriac
import Foundation

/// Turns worker events into `celeriac events` lines (for people, or one JSON object a line) and
/// decides which ones a `--filter` keeps. It remembers the task name of each `task-received`
/// (Celery's later task events carry only the id), for at most ``maximumRememberedNames`` tasks.
struct EventLineFormatter {
  /// How many task ids' names are kept (the oldest are forgotten first).
  static let maximumRememberedNames = 10_000

  private var names: [String: String] = [:]
  private var order: [String] = []
  private var orderStart = 0

  /// Remembers the task name a `task-received` (or any event with `name`) gives.
  mutating func note(_ event: WorkerEvent) {
    guard let id = event.fields["uuid"]?.stringValue, let name = event.fields["name"]?.stringValue,
      names[id] == nil
    else { return }
    names[id] = name
    order.append(id)
    if order.count - orderStart > Self.maximumRememberedNames {
      names[order[orderStart]] = nil
      orderStart += 1
      if orderStart > Self.maximumRememberedNames {  // compact now and then
        order.removeFirst(orderStart)
        orderStart = 0
      }
    }
  }

  /// The task name of `event`, given or remembered.
  func taskName(_ event: WorkerEvent) -> String? {
    if let name = event.fields["name"]?.stringValue { return name }
    return event.fields["uuid"]?.stringValue.flatMap { names[$0] }
  }

  /// Whether `event` passes `filters`: none given, or one of them is part of its type, task
  /// name, task id or hostname.
  func matches(_ event: WorkerEvent, filters: [String]) -> Bool {
    guard !filters.isEmpty else { return true }
    let haystack = [
      event.fields["type"]?.stringValue, taskName(event), event.fields["uuid"]?.stringValue,
      event.fields["hostname"]?.stringValue,
    ].compactMap { $0 }
    return filters.contains { filter in haystack.contains { $0.contains(filter) } }
  }

  /// The event as one JSON object (its fields, plus `name` when only remembered).
  func json(_ event: WorkerEvent) -> String {
    var fields = event.fields
    if fields["name"] == nil, let name = taskName(event) { fields["name"] = .string(name) }
    return JSONWriter.string(.object(fields))
  }

  /// `2026-12-01T14:02:01.123456+00:00 celeriac@host task-succeeded tasks.add <id> runtime=…`.
  func text(_ event: WorkerEvent) -> String {
    let fields = event.fields
    let time = fields["timestamp"].flatMap(\.doubleValue).map {
      ISO8601.format(Date(timeIntervalSince1970: $0))
    }
    var parts = [
      time ?? "-", fields["hostname"]?.stringValue ?? "?", fields["type"]?.stringValue ?? "?",
    ]
    if let id = fields["uuid"]?.stringValue {
      parts.append(taskName(event) ?? "?")
      parts.append(id)
    }
    let shown = [
      "args", "kwargs", "result", "runtime", "exception", "reason", "retries", "pid", "active",
      "processed", "signum", "terminated",
    ]
    for key in shown {
      guard let value = fields[key], value != .null else { continue }
      let rendered = value.stringValue ?? JSONWriter.string(value)
      parts.append("\(key)=\(rendered.count > 200 ? String(rendered.prefix(200)) + "…" : rendered)")
    }
    return parts.joined(separator: " ")
  }
}
