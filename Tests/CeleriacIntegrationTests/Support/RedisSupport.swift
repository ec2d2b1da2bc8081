import Celeriac
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The repository's root (for `Scripts/interop` and `.venv`).
let repositoryRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// A throw-away `redis-server` on a free loopback port, with its data in a sandbox directory,
/// so that it can be stopped and started again on the same port with the same data.
final class RedisTestServer {
  static let executable = "/usr/bin/redis-server"

  let port: Int
  let directory: String
  let extraArguments: [String]
  private var process: Process?

  /// Starts a server; `appendOnly` turns on persistence with an fsync per write.
  init(directory: String, appendOnly: Bool = false) throws {
    guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
      throw IntegrationFailure(
        "\(Self.executable) not found: run ./Scripts/install-dependencies")
    }
    self.port = try Self.freePort()
    self.directory = directory
    self.extraArguments =
      appendOnly
      ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]
    try start()
  }

  deinit { stop() }

  /// `redis://127.0.0.1:<port>/<database>`.
  func url(_ database: Int = 0) -> String { "redis://127.0.0.1:\(port)/\(database)" }

  /// Starts the server and waits until it answers PING.
  func start() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.executable)
    process.arguments =
      [
        "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--daemonize", "no",
        "--dir", directory, "--logfile", directory + "/redis-\(port).log",
      ] + extraArguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    self.process = process
    let ready = try waitUntil(timeout: .seconds(10)) {
      !process.isRunning || (try? self.command(["PING"])) == "PONG"
    }
    guard ready, process.isRunning else {
      throw IntegrationFailure("redis-server on port \(port) did not start")
    }
  }

  /// Kills the server, as a crash would (SIGKILL; with appendonly every write is already on
  /// disk, and a test process may have SIGTERM blocked, which redis-server inherits).
  func stop() {
    guard let process, process.isRunning else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    self.process = nil
  }

  /// Runs `redis-cli` with `arguments` on `database` and returns its output, trimmed.
  @discardableResult
  func command(_ arguments: [String], database: Int = 0) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
    process.arguments = ["-p", "\(port)", "-n", "\(database)"] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// A loopback port that was free a moment ago.
  static func freePort() throws -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw IntegrationFailure("socket() failed") }
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(socketFD, $0, length) == 0 && getsockname(socketFD, $0, &length) == 0
      }
    }
    guard bound else { throw IntegrationFailure("cannot bind a loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}

/// A sandbox directory plus a Redis server: broker on db 0, results on db 1 (Celery's layout).
final class RedisSandbox {
  let sandbox: Sandbox
  let server: RedisTestServer
  var directory: String { sandbox.directory }
  var brokerURL: String { server.url(0) }
  var backendURL: String { server.url(1) }

  init(appendOnly: Bool = false) throws {
    sandbox = try Sandbox()
    server = try RedisTestServer(directory: sandbox.directory, appendOnly: appendOnly)
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
  func worker(_ arguments: [String] = [], waitForReady: Bool = true) throws -> WorkerProcess {
    try WorkerProcess(
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

  init(sandbox: RedisSandbox) throws {
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
    let ready = try waitUntil(timeout: .seconds(30)) {
      self.log.contains("ready.") || !self.process.isRunning
    }
    guard ready, process.isRunning else {
      throw IntegrationFailure("the Celery worker did not start:\n\(log)")
    }
  }

  deinit {
    if process.isRunning {
      kill(process.processIdentifier, SIGTERM)
      _ = try? waitUntil(timeout: .seconds(10)) { !self.process.isRunning }
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
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
