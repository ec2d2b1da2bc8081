import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The `celeriac` binary under test: `$CELERIAC_BINARY`, else `.build/debug/celeriac`.
enum CeleriacBinary {
  static let path: String = {
    if let path = ProcessInfo.processInfo.environment["CELERIAC_BINARY"] { return path }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/celeriac").path
  }()
}

/// A scratch directory with a SQLite broker file, removed when the test ends.
final class Sandbox {
  let directory: String
  var databasePath: String { directory + "/celeriac.db" }
  var brokerURL: String { "sqlite://" + databasePath }

  init() throws {
    directory = NSTemporaryDirectory() + "celeriac-test-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: directory) }

  /// A connection to the sandbox's broker and backend, as a producer process would open it.
  func connection() throws -> Connection {
    try ConnectionFactory.open(CeleriacConfiguration(brokerURL: brokerURL))
  }

  /// Publishes a task and returns its id.
  @discardableResult
  func send(
    _ name: String, _ args: [JSONValue] = [], options: TaskOptions? = nil, queue: String = "celery"
  ) throws -> String {
    var message = TaskMessage(name: name, args: args, queue: queue)
    if let options { message.options = options }
    try connection().broker.publish([message])
    return message.id
  }

  /// Runs `celeriac ARGS` to completion with the sandbox's broker.
  func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CeleriacBinary.path)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(
      ["CELERIAC_BROKER_URL": brokerURL].merging(environment) { $1 }
    ) { $1 }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(
      status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
      stderr: String(decoding: err, as: UTF8.self))
  }

  /// The records of the result backend for `id`, once it satisfies `condition`.
  func waitForRecord(
    _ id: String, timeout: Duration = .seconds(20),
    until condition: (TaskResultRecord) -> Bool = { $0.state.isReady }
  ) async throws -> TaskResultRecord? {
    let backend = try connection().backend
    var last: TaskResultRecord?
    _ = try await waitUntil(timeout: timeout) {
      last = try backend.result(for: id)
      return last.map(condition) ?? false
    }
    return last
  }
}

/// What a finished command printed and returned.
struct CommandResult {
  let status: Int32
  let stdout: String
  let stderr: String
}

/// A running `celeriac worker`, its log captured to a file.
final class WorkerProcess {
  let process = Process()
  let logPath: String

  /// Starts a worker on the sandbox's SQLite file and waits until all pools are ready.
  convenience init(
    sandbox: Sandbox, arguments: [String] = [], environment: [String: String] = [:],
    waitForReady: Bool = true, executable: String = CeleriacBinary.path
  ) async throws {
    try await self.init(
      directory: sandbox.directory, connection: ["--broker", sandbox.brokerURL, "-l", "debug"],
      arguments: arguments, environment: environment, waitForReady: waitForReady,
      executable: executable)
  }

  /// Starts `celeriac worker CONNECTION ARGUMENTS` in `directory` and waits until it logs
  /// that all pools are ready.
  ///
  /// With a `prefix`, `executable` is a wrapper run as `executable PREFIX CONNECTION ARGUMENTS`
  /// (the connection then names the binary and its `worker` subcommand itself).
  init(
    directory: String, connection: [String], arguments: [String] = [],
    environment: [String: String] = [:], waitForReady: Bool = true,
    executable: String = CeleriacBinary.path, prefix: [String]? = nil
  ) async throws {
    logPath = directory + "/worker-\(UUID().uuidString.prefix(6)).log"
    FileManager.default.createFile(atPath: logPath, contents: nil)
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = (prefix ?? ["worker"]) + connection + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let log = FileHandle(forWritingAtPath: logPath)!
    process.standardError = log
    process.standardOutput = log
    try process.run()
    if waitForReady {
      let ready = try await waitUntil(timeout: .seconds(20)) {
        self.log.contains("all pools ready") || !self.process.isRunning
      }
      #expect(ready && process.isRunning, "worker did not become ready:\n\(self.log)")
    }
  }

  deinit {
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
  }

  var pid: Int32 { process.processIdentifier }

  /// Everything the worker logged so far.
  var log: String {
    (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
  }

  /// Sends a signal to the supervisor.
  func signal(_ number: Int32) {
    kill(pid, number)
  }

  /// Waits for the supervisor to exit; returns its status, or `nil` on timeout.
  func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32? {
    let exited = try await waitUntil(timeout: timeout) { !self.process.isRunning }
    guard exited else { return nil }
    process.waitUntilExit()
    return process.terminationStatus
  }

  /// The pids of the supervisor's live children.
  func childPIDs() -> [Int32] {
    ProcessTable.children(of: pid)
  }

  /// Waits until the log contains `text` (at least `count` times).
  @discardableResult
  func waitForLog(_ text: String, count: Int = 1, timeout: Duration = .seconds(20)) async throws
    -> Bool
  {
    try await waitUntil(timeout: timeout) {
      self.log.components(separatedBy: text).count - 1 >= count
    }
  }
}

/// Reads the process table from /proc.
enum ProcessTable {
  /// Live (not zombie) children of `parent`.
  static func children(of parent: Int32) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else {
      return []
    }
    return entries.compactMap(Int32.init).filter { pid in
      guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return false }
      let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
      return fields.count > 1 && fields[0] != "Z" && Int32(fields[1]) == parent
    }.sorted()
  }

  /// Whether `pid` is alive (and not a zombie).
  static func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(close, offsetBy: 2)] != "Z"
  }
}

/// Sends `process` SIGTERM and waits for it to exit, sending SIGKILL if it has not exited
/// `grace` seconds later (for deinits, which cannot await).
func terminate(_ process: Process, grace: TimeInterval) {
  let pid = process.processIdentifier
  kill(pid, SIGTERM)
  let fallback = DispatchWorkItem { kill(pid, SIGKILL) }
  DispatchQueue.global().asyncAfter(deadline: .now() + grace, execute: fallback)
  process.waitUntilExit()
  fallback.cancel()
}

/// Lines of a file written by `tasks.record`: task id → pids that ran it.
func recordedRuns(_ path: String) -> [String: [String]] {
  let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
  var runs: [String: [String]] = [:]
  for line in text.split(separator: "\n") {
    let parts = line.split(separator: " ")
    guard parts.count == 2 else { continue }
    runs[String(parts[0]), default: []].append(String(parts[1]))
  }
  return runs
}

/// SIGKILLs a child of `worker` until one dies holding a task (the worker logs it as lost): a
/// child between two tasks may be hit first. At most `attempts` children.
func killBusyChild(of worker: WorkerProcess, attempts: Int = 10) async throws {
  for _ in 0..<attempts {
    let before = worker.log.components(separatedBy: "lost").count
    guard let victim = worker.childPIDs().first else { continue }
    kill(victim, SIGKILL)
    if try await waitUntil(
      timeout: .seconds(3), { worker.log.components(separatedBy: "lost").count > before })
    {
      return
    }
  }
  Issue.record("no child died holding a task after \(attempts) kills:\n\(worker.log)")
}
