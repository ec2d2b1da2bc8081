import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The repository's root (for `Scripts/interop` and `.venv`).
let repositoryRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// A sandbox directory plus a Redis server: broker on db 0, results on db 1 (Celery's layout).
final class RedisSandbox {
  let sandbox: Sandbox
  let server: RedisTestServer
  var directory: String { sandbox.directory }
  var brokerURL: String { server.url(0) }
  var backendURL: String { server.url(1) }

  init(appendOnly: Bool = false) async throws {
    sandbox = try Sandbox()
    server = try await RedisTestServer.started(directory: sandbox.directory, appendOnly: appendOnly)
  }

  /// A connection as a producer process opens it.
  func connection() throws -> Connection {
    try ConnectionFactory.open(
      CeleriacConfiguration(brokerURL: brokerURL, backendURL: backendURL))
  }

  /// Runs `celeriac ARGS --broker … --backend …` to completion.
  func run(_ arguments: [String]) throws -> CommandResult {
    try runProcess(
      CeleriacBinary.path, arguments + ["--broker", brokerURL, "--backend", backendURL],
      directory: directory)
  }

  /// Starts `celeriac worker` on this Redis and waits until its pools are ready.
  func worker(_ arguments: [String] = [], waitForReady: Bool = true) async throws
    -> WorkerProcess
  {
    try await WorkerProcess(
      directory: directory,
      connection: ["--broker", brokerURL, "--backend", backendURL, "-l", "info"],
      arguments: arguments, waitForReady: waitForReady)
  }
}

/// The Python venv with Celery that `./Scripts/install-dependencies` creates.
enum PythonVenv {
  static var python: String { repositoryRoot + "/.venv/bin/python" }
  static var celery: String { repositoryRoot + "/.venv/bin/celery" }
  static var interop: String { repositoryRoot + "/Scripts/interop" }

  /// Fails with a message naming the fix when the venv is missing.
  static func require() throws {
    guard FileManager.default.isExecutableFile(atPath: python),
      FileManager.default.isExecutableFile(atPath: celery)
    else {
      throw IntegrationFailure(
        "\(python) (with celery) is missing: run ./Scripts/install-dependencies first")
    }
  }
}

/// A running Python Celery worker (`celery -A celery_tasks worker -c 1 --pool prefork`).
final class PythonWorkerProcess {
  let process = Process()
  let logPath: String

  init(sandbox: RedisSandbox) async throws {
    try PythonVenv.require()
    logPath = sandbox.directory + "/celery-worker.log"
    FileManager.default.createFile(atPath: logPath, contents: nil)
    process.executableURL = URL(fileURLWithPath: PythonVenv.celery)
    process.arguments = [
      "-A", "celery_tasks", "worker", "-c", "1", "--pool", "prefork", "-l", "info",
      "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "py@%h",
    ]
    process.currentDirectoryURL = URL(fileURLWithPath: PythonVenv.interop)
    process.environment = ProcessInfo.processInfo.environment.merging([
      "CELERIAC_INTEROP_BROKER": sandbox.brokerURL,
      "CELERIAC_INTEROP_BACKEND": sandbox.backendURL, "PYTHONDONTWRITEBYTECODE": "1",
    ]) { $1 }
    let log = FileHandle(forWritingAtPath: logPath)!
    process.standardOutput = log
    process.standardError = log
    try process.run()
    let ready = try await waitUntil(timeout: .seconds(30)) {
      self.log.contains("ready.") || !self.process.isRunning
    }
    guard ready, process.isRunning else {
      throw IntegrationFailure("the Celery worker did not start:\n\(log)")
    }
  }

  deinit {
    if process.isRunning {
      terminate(process, grace: 10)
    }
  }

  var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// Runs a program to completion and returns what it printed.
func runProcess(
  _ executable: String, _ arguments: [String], directory: String,
  environment: [String: String] = [:]
) throws -> CommandResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: directory)
  process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  let output = Pipe()
  // stderr goes to a file so that neither stream can fill a pipe and block the child.
  let errorPath = directory + "/stderr-\(UUID().uuidString.prefix(8)).txt"
  FileManager.default.createFile(atPath: errorPath, contents: nil)
  defer { try? FileManager.default.removeItem(atPath: errorPath) }
  process.standardOutput = output
  process.standardError = FileHandle(forWritingAtPath: errorPath)!
  try process.run()
  let out = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
  return CommandResult(
    status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
    stderr: errors)
}

/// A set-up failure of an integration test, with a message naming the fix.
struct IntegrationFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
