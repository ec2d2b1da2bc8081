import CeleriacCore
import Foundation

/// Celery's result format in Redis: key `celery-task-meta-<id>`, a JSON string
/// `{"status", "result", "traceback", "children", "date_done", "task_id"}` (plus `name` and
/// `retries` when known, as Celery's `result_extended` writes them), set with a TTL and
/// published on a channel of the same name.
///
/// A failure is stored as Celery stores an exception, `{"exc_type", "exc_message": [...],
/// "exc_module"}`, so that `AsyncResult.get()` in Python raises it: Celery 5.7's
/// `exception_to_python` looks the type up in the module when Python has imported that module,
/// and otherwise makes a class of that name in `celery.exceptions`. A type claimed to be in
/// `builtins` that Python's builtins lack is written with module `celeriac`, which takes that
/// fallback (a name that is in the module but is no exception would raise `SecurityError`).
public enum CeleryResult {
  /// The key prefix, and the pub/sub channel prefix.
  public static let keyPrefix = "celery-task-meta-"

  /// `celery-task-meta-<id>`: the key and the channel of a task's result.
  public static func key(for taskID: String) -> String { keyPrefix + taskID }

  /// The exception classes of Python's `builtins` (Python 3.11).
  public static let pythonBuiltinExceptions: Set<String> = [
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException",
    "BaseExceptionGroup", "BlockingIOError", "BrokenPipeError", "BufferError", "BytesWarning",
    "ChildProcessError", "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError",
    "ConnectionResetError", "DeprecationWarning", "EOFError", "EncodingWarning",
    "EnvironmentError", "Exception", "ExceptionGroup", "FileExistsError", "FileNotFoundError",
    "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError", "ImportError",
    "ImportWarning", "IndentationError", "IndexError", "InterruptedError", "IsADirectoryError",
    "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError", "ModuleNotFoundError",
    "NameError", "NotADirectoryError", "NotImplementedError", "OSError", "OverflowError",
    "PendingDeprecationWarning", "PermissionError", "ProcessLookupError", "RecursionError",
    "ReferenceError", "ResourceWarning", "RuntimeError", "RuntimeWarning",
    "StopAsyncIteration", "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError",
    "SystemExit", "TabError", "TimeoutError", "TypeError", "UnboundLocalError",
    "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError",
    "UnicodeWarning", "UserWarning", "ValueError", "Warning", "ZeroDivisionError",
  ]

  /// The module written for a failure whose type Python cannot find where it is said to be.
  public static let fallbackModule = "celeriac"

  /// The member of a stored result that keeps the message's extra headers (Celery ignores
  /// members it does not know).
  public static let headersKey = "celeriac_headers"

  /// The member of a stored result that keeps the pid of the child that ran the task.
  public static let pidKey = "celeriac_pid"

  /// The member of a stored result that keeps when the child started the task.
  public static let startedKey = "celeriac_date_started"

  /// The record as the JSON Celery stores.
  public static func encode(_ record: TaskResultRecord) -> String {
    var result: JSONValue = record.result ?? .null
    if let failure = record.failure {
      result = exceptionInfo(failure)
    } else if record.state == .revoked {
      result = exceptionInfo(
        TaskFailure(
          type: "TaskRevokedError", message: "revoked",
          module: TaskFailure.celeryExceptionsModule))
    }
    // Written member by member in Celery's order, with the keys as literals: building an
    // array of `(String, JSONValue)` members first cost half of the encoding in allocations
    // and releases (one record a task, on the supervisor's thread).
    var writer = JSONWriter(capacity: 256)
    writer.appendRaw("{\"status\": ")
    writer.writeString(record.state.rawValue)
    writer.appendRaw(", \"result\": ")
    writer.write(result)
    writer.appendRaw(", \"traceback\": ")
    if let traceback = record.failure?.traceback {
      writer.writeString(traceback)
    } else {
      writer.appendRaw("null")
    }
    writer.appendRaw(", \"children\": [")
    for (index, child) in record.children.enumerated() {
      writer.appendRaw(index == 0 ? "[[" : ", [[")
      writer.writeString(child)
      writer.appendRaw(", null], null]")
    }
    writer.appendRaw("], \"date_done\": ")
    writer.writeString(ISO8601.format(record.dateDone))
    writer.appendRaw(", \"task_id\": ")
    writer.writeString(record.taskID)
    if let name = record.name {
      writer.appendRaw(", \"name\": ")
      writer.writeString(name)
      writer.appendRaw(", \"retries\": ")
      writer.writeInteger(Int64(record.retries))
    }
    if let headers = record.headers, !headers.isEmpty {
      writer.writeMember(headersKey, .object(headers))
    }
    // Celery's `result_extended` members, and the child's pid under a name of Celeriac's own.
    if let args = record.args {
      writer.appendRaw(", \"args\": ")
      writer.write(.array(args))
    }
    if let kwargs = record.kwargs {
      writer.appendRaw(", \"kwargs\": ")
      writer.write(.object(kwargs))
    }
    if let queue = record.queue {
      writer.appendRaw(", \"queue\": ")
      writer.writeString(queue)
    }
    if let worker = record.worker {
      writer.appendRaw(", \"worker\": ")
      writer.writeString(worker)
    }
    if let pid = record.pid { writer.writeMember(pidKey, .int(Int64(pid))) }
    if let started = record.dateStarted {
      writer.writeMember(startedKey, .string(ISO8601.format(started)))
    }
    writer.appendRaw("}")
    return writer.text
  }

  /// Celery's serialized exception for `failure`, with a module Python can use.
  public static func exceptionInfo(_ failure: TaskFailure) -> JSONValue {
    var type = failure.type.isEmpty ? "Exception" : failure.type
    var module = failure.module.isEmpty ? fallbackModule : failure.module
    if module == "builtins" && !pythonBuiltinExceptions.contains(type) {
      module = fallbackModule
    }
    if type.contains(where: { $0.isWhitespace }) {
      type = type.filter { !$0.isWhitespace }
    }
    return .object([
      "exc_type": .string(type), "exc_message": .array([.string(failure.message)]),
      "exc_module": .string(module),
    ])
  }

  private struct Stored: Decodable {
    var status: String
    var result: JSONValue?
    var traceback: String?
    var children: [JSONValue]?
    var dateDone: String?
    var taskID: String?
    var name: String?
    var retries: Int?
    var headers: [String: JSONValue]?
    var args: [JSONValue]?
    var kwargs: [String: JSONValue]?
    var queue: String?
    var worker: String?
    var pid: Int32?
    var dateStarted: String?

    enum CodingKeys: String, CodingKey {
      case status, result, traceback, children, name, retries, args, kwargs, queue, worker
      case headers = "celeriac_headers"
      case pid = "celeriac_pid"
      case dateStarted = "celeriac_date_started"
      case dateDone = "date_done"
      case taskID = "task_id"
    }
  }

  /// Reads a stored result (Celeriac's or Celery's).
  ///
  /// - Throws: ``CeleriacError`` `.malformedMessage` when it is not Celery's result JSON.
  public static func decode(_ raw: String, taskID: String) throws -> TaskResultRecord {
    let stored: Stored
    do {
      stored = try JSONCoding.decode(Stored.self, from: raw)
    } catch {
      throw CeleriacError(
        .malformedMessage, "stored result of task \(taskID) is not Celery's result JSON")
    }
    let state = TaskState(rawValue: stored.status)
    var result = stored.result
    var failure: TaskFailure?
    if case .object(let info)? = result, let type = info["exc_type"]?.stringValue {
      if state == .failure || state == .retry {
        failure = TaskFailure(
          type: type, message: message(of: info["exc_message"]),
          module: info["exc_module"]?.stringValue ?? "builtins", traceback: stored.traceback)
        result = nil
      } else if state == .revoked {
        result = nil
      }
    }
    if result == .null { result = nil }
    let children = (stored.children ?? []).compactMap(childID)
    var record = TaskResultRecord(
      taskID: stored.taskID ?? taskID, state: state, result: result, failure: failure,
      dateDone: stored.dateDone.flatMap(ISO8601.parse) ?? Date(), name: stored.name,
      retries: stored.retries ?? 0, children: children, headers: stored.headers)
    record.args = stored.args
    record.kwargs = stored.kwargs
    record.queue = stored.queue
    record.worker = stored.worker
    record.pid = stored.pid
    record.dateStarted = stored.dateStarted.flatMap(ISO8601.parse)
    return record
  }

  /// An exception's message from Celery's `exc_message` (a list of the exception's args).
  private static func message(of value: JSONValue?) -> String {
    switch value {
    case .string(let text)?: return text
    case .array(let parts)? where parts.count == 1 && parts[0].stringValue != nil:
      return parts[0].stringValue!
    case .array(let parts)?:
      return parts.map { $0.stringValue ?? $0.compactDescription }
        .joined(separator: ", ")
    case nil, .null?: return ""
    case let other?: return other.compactDescription
    }
  }

  /// A child's id from Celery's `[[id, parent], null]` tuple, or a plain id string.
  private static func childID(_ value: JSONValue) -> String? {
    switch value {
    case .string(let id): return id
    case .array(let parts):
      guard let first = parts.first else { return nil }
      if let id = first.stringValue { return id }
      if case .array(let inner) = first { return inner.first?.stringValue }
      return nil
    default: return nil
    }
  }
}
