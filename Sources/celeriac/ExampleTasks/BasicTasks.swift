import Celeriac
import Foundation

/// `tasks.add(x, y)`: the classic.
struct Add: TaskDefinition {
  static let name = "tasks.add"
  static let parameters = ["x", "y"]
  struct Arguments: Codable, Sendable {
    var x: Int64
    var y: Int64
  }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> Int64 {
    let (sum, overflow) = arguments.x.addingReportingOverflow(arguments.y)
    if overflow { throw Self.overflow("\(arguments.x) + \(arguments.y)") }
    return sum
  }

  /// Python's `OverflowError`, for a result outside the 64-bit range.
  static func overflow(_ operation: String) -> TaskFailure {
    TaskFailure(type: "OverflowError", message: "\(operation) does not fit in 64 bits")
  }
}

/// `tasks.xsum(numbers)`: the sum of a list (Celery's classic chord body).
struct Xsum: TaskDefinition {
  static let name = "tasks.xsum"
  static let parameters = ["numbers"]
  struct Arguments: Codable, Sendable { var numbers: [Int64] }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> Int64 {
    try arguments.numbers.reduce(0) { total, number in
      let (sum, overflow) = total.addingReportingOverflow(number)
      if overflow { throw Add.overflow("the sum of \(arguments.numbers.count) numbers") }
      return sum
    }
  }
}

/// `tasks.noop()`: does nothing; the benchmark's drain task.
struct Noop: TaskDefinition {
  static let name = "tasks.noop"
  struct Arguments: Codable, Sendable {}
  func run(_ arguments: Arguments, context: TaskContext) async throws -> JSONValue { .null }
}

/// `tasks.sleep(seconds)`: waits, cancellably (a soft time limit ends it).
struct SleepTask: TaskDefinition {
  static let name = "tasks.sleep"
  static let parameters = ["seconds"]
  struct Arguments: Codable, Sendable { var seconds: Double }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> Double {
    try await Task.sleep(for: .seconds(fractional: arguments.seconds))
    return arguments.seconds
  }
}

/// `tasks.fail(message)`: raises on purpose.
struct Fail: TaskDefinition {
  static let name = "tasks.fail"
  static let parameters = ["message"]
  struct Arguments: Codable, Sendable { var message: String? }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> JSONValue {
    throw TaskFailure(type: "ValueError", message: arguments.message ?? "failed on purpose")
  }
}

/// `tasks.crash()`: kills its own child process (SIGKILL), as a segfault or OOM kill would.
struct Crash: TaskDefinition {
  static let name = "tasks.crash"
  static let defaults = TaskDefaults(options: TaskOptions(maxRedeliveries: 1))
  struct Arguments: Codable, Sendable {}
  func run(_ arguments: Arguments, context: TaskContext) async throws -> JSONValue {
    kill(getpid(), SIGKILL)
    return .null
  }
}

/// `tasks.hang()`: freezes its child process (SIGSTOP, again whenever something continues it):
/// no more heartbeats, as in a deadlock.
struct Hang: TaskDefinition {
  static let name = "tasks.hang"
  struct Arguments: Codable, Sendable {}
  func run(_ arguments: Arguments, context: TaskContext) async throws -> JSONValue {
    while true { kill(getpid(), SIGSTOP) }
  }
}

/// `tasks.progress(steps, delay)`: reports `PROGRESS` with `current`/`total` after each step.
struct Progress: TaskDefinition {
  static let name = "tasks.progress"
  static let parameters = ["steps", "delay"]
  struct Arguments: Codable, Sendable {
    var steps: Int
    var delay: Double?
  }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> Int {
    for step in 1...max(arguments.steps, 1) {
      try await Task.sleep(for: .seconds(fractional: (arguments.delay ?? 0.05)))
      context.reportProgress(["current": .int(Int64(step)), "total": .int(Int64(arguments.steps))])
    }
    return arguments.steps
  }
}

/// `tasks.flaky(failures)`: fails its first `failures` runs, then succeeds (retries with backoff).
struct Flaky: TaskDefinition {
  static let name = "tasks.flaky"
  static let parameters = ["failures"]
  static let defaults = TaskDefaults(
    retry: RetryPolicy(maxRetries: 5, backoff: .milliseconds(50), maxBackoff: .seconds(1)))
  struct Arguments: Codable, Sendable { var failures: Int }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> Int {
    if context.retries < arguments.failures {
      throw TaskFailure(
        type: "ConnectionError", message: "transient failure \(context.retries + 1)")
    }
    return context.retries
  }
}

/// `tasks.record(path, seconds)`: appends its task id to a file, then sleeps. Tests count the
/// lines to prove every task ran exactly once. Acks-late with reject-on-worker-lost.
struct Record: TaskDefinition {
  static let name = "tasks.record"
  static let parameters = ["path", "seconds"]
  static let defaults = TaskDefaults(
    options: TaskOptions(acksLate: true, rejectOnWorkerLost: true))
  struct Arguments: Codable, Sendable {
    var path: String
    var seconds: Double?
  }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> String {
    let fd = open(arguments.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard fd >= 0 else {
      throw TaskFailure(type: "OSError", message: "cannot open \(arguments.path)")
    }
    let line = Array("\(context.taskID) \(getpid())\n".utf8)
    _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    if let seconds = arguments.seconds, seconds > 0 {
      try await Task.sleep(for: .seconds(fractional: seconds))
    }
    return context.taskID
  }
}

/// `tasks.allocate(mebibytes)`: touches memory and keeps it (for `--max-memory-per-child`).
struct AllocateMemory: TaskDefinition {
  static let name = "tasks.allocate"
  static let parameters = ["mebibytes"]
  struct Arguments: Codable, Sendable { var mebibytes: Int }
  nonisolated(unsafe) static var retained: [UnsafeMutableRawPointer] = []
  func run(_ arguments: Arguments, context: TaskContext) async throws -> Int {
    let size = arguments.mebibytes * 1_048_576
    let memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
    memset(memory, 1, size)
    Self.retained.append(memory)
    return arguments.mebibytes
  }
}

/// `tasks.throttled(path)`: appends its task id and start time to a file; at most ten per
/// second per worker (`rateLimit "10/s"`). Tests read the times.
struct Throttled: TaskDefinition {
  static let name = "tasks.throttled"
  static let parameters = ["path"]
  /// Its rate limit.
  static let rate = "10/s"
  static let defaults = TaskDefaults(rateLimit: try? RateLimit(rate))
  struct Arguments: Codable, Sendable { var path: String }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> Double {
    try StartLog.append(arguments.path, taskID: context.taskID)
  }
}

/// `tasks.throttled_global(path)`: as `tasks.throttled`, but at most ten per second across
/// every worker sharing the broker (`rateLimit "10/s"`, `rateLimitScope .global`).
struct ThrottledGlobal: TaskDefinition {
  static let name = "tasks.throttled_global"
  static let parameters = ["path"]
  /// Its rate limit.
  static let rate = "10/s"
  static let defaults = TaskDefaults(rateLimit: try? RateLimit(rate), rateLimitScope: .global)
  struct Arguments: Codable, Sendable { var path: String }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> Double {
    try StartLog.append(arguments.path, taskID: context.taskID)
  }
}

/// The file the throttled tasks append `task-id start-time` lines to, atomically (one
/// `write` on an `O_APPEND` descriptor), so that several workers may share it.
enum StartLog {
  /// Appends this start and returns its time (Unix seconds).
  static func append(_ path: String, taskID: String) throws -> Double {
    let now = Date().timeIntervalSince1970
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard fd >= 0 else {
      throw TaskFailure(type: "OSError", message: "cannot open \(path)")
    }
    let line = Array("\(taskID) \(now)\n".utf8)
    _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    return now
  }
}
