import Celeriac
import Foundation

/// The dashboard API's JSON for Celeriac's values.
enum DashboardJSON {
  /// The longest JSON text of a value (a result, args) shown in full; longer ones are cut.
  static let maximumValueLength = 64 * 1024

  /// A record as the task list and the task page show it.
  static func record(_ record: TaskResultRecord, detailed: Bool) -> JSONValue {
    var fields: [String: JSONValue] = [
      "id": .string(record.taskID), "state": .string(record.state.rawValue),
      "name": record.name.map(JSONValue.string) ?? .null,
      "queue": record.queue.map(JSONValue.string) ?? .null,
      "worker": record.worker.map(JSONValue.string) ?? .null,
      "pid": record.pid.map { .int(Int64($0)) } ?? .null,
      "date_done": .double(record.dateDone.timeIntervalSince1970),
      "date_started": record.dateStarted.map { .double($0.timeIntervalSince1970) } ?? .null,
      "retries": .int(Int64(record.retries)),
    ]
    if let failure = record.failure {
      fields["exception"] = .string("\(failure.type): \(failure.message)")
    }
    guard detailed else { return .object(fields) }
    fields["args"] = record.args.map { bounded(.array($0)) } ?? .null
    fields["kwargs"] = record.kwargs.map { bounded(.object($0)) } ?? .null
    fields["result"] = record.result.map(bounded) ?? .null
    fields["traceback"] =
      record.failure?.traceback.map { .string(String($0.prefix(maximumValueLength))) } ?? .null
    fields["children"] = .array(record.children.map(JSONValue.string))
    if let headers = record.headers { fields["headers"] = bounded(.object(headers)) }
    var timeline: [JSONValue] = []
    if let started = record.dateStarted {
      timeline.append(event("STARTED", started, record.worker.map { "on \($0)" }))
    }
    timeline.append(event(record.state.rawValue, record.dateDone, nil))
    fields["timeline"] = .array(timeline)
    return .object(fields)
  }

  /// A value as JSON text, cut to ``maximumValueLength``.
  static func bounded(_ value: JSONValue) -> JSONValue {
    let text = JSONWriter.string(value)
    guard text.utf8.count > maximumValueLength else { return .string(text) }
    return .string(String(text.prefix(maximumValueLength)) + "…")
  }

  static func event(_ state: String, _ date: Date, _ detail: String?) -> JSONValue {
    .object([
      "state": .string(state), "time": .double(date.timeIntervalSince1970),
      "detail": detail.map(JSONValue.string) ?? .null,
    ])
  }

  /// A message waiting in its queue.
  static func queued(_ message: TaskMessage) -> JSONValue {
    .object([
      "id": .string(message.id), "name": .string(message.name), "queue": .string(message.queue),
      "state": .string(TaskState.pending.rawValue),
      "eta": message.eta.map { .double($0.timeIntervalSince1970) } ?? .null,
      "priority": message.priority.map { .int(Int64($0)) } ?? .null,
      "retries": .int(Int64(message.retries)),
      "args": bounded(.array(message.args)), "kwargs": bounded(.object(message.kwargs)),
    ])
  }

  /// A worker and its pools.
  static func worker(_ status: WorkerStatus) -> JSONValue {
    let pools: [JSONValue] = status.pools.map(pool)
    let fields: [String: JSONValue] = [
      "hostname": .string(status.hostname), "pid": .int(Int64(status.pid)),
      "state": .string(status.state.rawValue),
      "started": .double(status.startedAt.timeIntervalSince1970),
      "updated": .double(status.updatedAt.timeIntervalSince1970),
      "succeeded": .int(Int64(status.succeeded)), "failed": .int(Int64(status.failed)),
      "pools": .array(pools),
    ]
    return .object(fields)
  }

  /// One pool of a worker.
  static func pool(_ pool: PoolStatus) -> JSONValue {
    let fields: [String: JSONValue] = [
      "name": .string(pool.name), "queues": .array(pool.queues.map(JSONValue.string)),
      "depth": .int(Int64(pool.depth)), "busy": .int(Int64(pool.busy)),
      "idle": .int(Int64(pool.idle)), "target": .int(Int64(pool.target)),
      "min": .int(Int64(pool.minimum)), "max": .int(Int64(pool.maximum)),
    ]
    return .object(fields)
  }

  /// A dead letter; with `payload`, the stored message too (cut to ``maximumValueLength``).
  static func deadLetter(_ entry: DeadLetterEntry, payload: Bool) -> JSONValue {
    var fields: [String: JSONValue] = [
      "id": entry.id.map(JSONValue.string) ?? .null,
      "task_id": entry.taskID.map(JSONValue.string) ?? .null,
      "queue": .string(entry.queue), "reason": .string(String(entry.reason.prefix(2_000))),
      "created": entry.created.map(JSONValue.double) ?? .null,
    ]
    if payload { fields["payload"] = .string(String(entry.payload.prefix(maximumValueLength))) }
    return .object(fields)
  }

  /// Counts per bucket.
  static func bucket(_ bucket: TaskCountBucket) -> JSONValue {
    .object([
      "start": .double(bucket.start),
      "counts": .object(bucket.counts.mapValues { .int(Int64($0)) }),
    ])
  }
}
