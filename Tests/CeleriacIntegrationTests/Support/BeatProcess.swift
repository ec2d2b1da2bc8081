import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A running `celeriac beat`, its log captured to a file.
final class BeatProcess {
  let process = Process()
  let logPath: String

  /// Starts `celeriac beat CONNECTION ARGUMENTS` in `directory`; with `waitForReady`, waits
  /// until it logged its entries (the schedule loaded and the broker answered).
  init(
    directory: String, connection: [String], arguments: [String], waitForReady: Bool = true
  ) async throws {
    logPath = directory + "/beat-\(UUID().uuidString.prefix(6)).log"
    FileManager.default.createFile(atPath: logPath, contents: nil)
    process.executableURL = URL(fileURLWithPath: CeleriacBinary.path)
    process.arguments = ["beat"] + connection + ["-l", "info"] + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let log = FileHandle(forWritingAtPath: logPath)!
    process.standardError = log
    process.standardOutput = log
    try process.run()
    if waitForReady {
      let ready = try await waitUntil(timeout: .seconds(20)) {
        self.log.contains(" entries (") || !self.process.isRunning
      }
      #expect(ready && process.isRunning, "beat did not start:\n\(self.log)")
    }
  }

  deinit {
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
  }

  var pid: Int32 { process.processIdentifier }
  var isRunning: Bool { process.isRunning }

  /// Everything the beat logged so far.
  var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

  /// SIGKILL, and reap it.
  func kill9() {
    kill(pid, SIGKILL)
    process.waitUntilExit()
  }

  /// SIGTERM, and wait for a clean exit; returns the status.
  @discardableResult
  func terminate() -> Int32 {
    kill(pid, SIGTERM)
    process.waitUntilExit()
    return process.terminationStatus
  }
}

/// A broker the beat tests run against: a SQLite file or a Redis server, with a way to read
/// every message beat published (they stay queued: no worker consumes the beat queue).
final class BeatBroker {
  enum Kind: String, CustomStringConvertible, CaseIterable {
    case sqlite, redis
    var description: String { rawValue }
  }

  let kind: Kind
  let sandbox: Sandbox
  private let redis: RedisSandbox?

  init(_ kind: Kind) async throws {
    self.kind = kind
    switch kind {
    case .sqlite:
      sandbox = try Sandbox()
      redis = nil
    case .redis:
      let redis = try await RedisSandbox()
      self.redis = redis
      sandbox = redis.sandbox
    }
  }

  var directory: String { sandbox.directory }

  /// `--broker …` (and `--backend …` on Redis).
  var connection: [String] {
    if let redis { return ["--broker", redis.brokerURL, "--backend", redis.backendURL] }
    return ["--broker", sandbox.brokerURL]
  }

  /// Writes a schedule file and returns its path.
  func scheduleFile(_ json: String, name: String = "schedule.json") throws -> String {
    let path = directory + "/" + name
    try Data(json.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// Starts a beat on this broker.
  func beat(_ arguments: [String], waitForReady: Bool = true) async throws -> BeatProcess {
    try await BeatProcess(
      directory: directory, connection: connection, arguments: arguments,
      waitForReady: waitForReady)
  }

  /// Runs `celeriac ARGS` with this broker.
  func run(_ arguments: [String]) throws -> CommandResult {
    try runProcess(CeleriacBinary.path, arguments + connection, directory: directory)
  }

  /// A published beat message: its task id, entry and due time (from its headers).
  struct Published: Equatable {
    var id: String
    var entry: String
    var due: Date
  }

  /// Every message on `queue` that carries beat's headers, oldest first.
  func published(queue: String = "beat") throws -> [Published] {
    let lines: [String]
    switch kind {
    case .sqlite:
      let result = try runProcess(
        "/usr/bin/sqlite3",
        [
          "-cmd", ".timeout 5000", sandbox.databasePath,
          "SELECT payload FROM tasks WHERE queue = '\(queue)' ORDER BY id",
        ],
        directory: directory)
      guard result.status == 0 else {
        throw IntegrationFailure("sqlite3 failed (\(result.status)): \(result.stderr)")
      }
      lines = result.stdout.split(separator: "\n").map(String.init)
    case .redis:
      // LPUSH puts the newest first.
      let output = try redis!.server.command(["LRANGE", queue, "0", "-1"])
      lines = output.split(separator: "\n").map(String.init).reversed()
    }
    return try lines.compactMap { line -> Published? in
      guard case .object(let object) = try JSONCoding.decode(JSONValue.self, from: line) else {
        return nil
      }
      // SQLite stores TaskMessage JSON (headers under "headers"); Redis a kombu envelope
      // whose "headers" are Celery's, with the task id in "id" either way.
      guard case .object(let headers)? = object["headers"],
        let entry = headers[BeatDefaults.entryHeader]?.stringValue,
        let dueText = headers[BeatDefaults.dueHeader]?.stringValue,
        let due = ISO8601.parse(dueText),
        let id = (object["id"] ?? headers["id"])?.stringValue
      else { return nil }
      return Published(id: id, entry: entry, due: due)
    }
  }

  /// The current leader's pid (beat holder ids are `host.pid.random`).
  func leaderPID() throws -> Int32? {
    let result = try run(["beat", "list"])
    guard let line = result.stdout.split(separator: "\n").first, line.hasPrefix("leader: "),
      !line.hasPrefix("leader: none")
    else { return nil }
    let holder = line.dropFirst("leader: ".count).split(separator: " ").first ?? ""
    let parts = holder.split(separator: ".")
    return parts.count >= 3 ? Int32(parts[parts.count - 2]) : nil
  }
}
