import Celeriac
import Foundation

/// Either broker behind one face, so a test can run on both (`arguments: FleetBroker.allCases`).
enum FleetBroker: String, CaseIterable, CustomStringConvertible, Sendable {
  case sqlite, redis

  var description: String { rawValue }
}

/// A sandbox on the SQLite file or on a private redis-server.
final class FleetSandbox {
  let kind: FleetBroker
  private let sqlite: Sandbox?
  private let redis: RedisSandbox?

  init(_ kind: FleetBroker) async throws {
    self.kind = kind
    if kind == .redis {
      redis = try await RedisSandbox()
      sqlite = nil
    } else {
      sqlite = try Sandbox()
      redis = nil
    }
  }

  var directory: String { redis?.directory ?? sqlite!.directory }

  /// Runs `celeriac ARGS` with the sandbox's broker.
  func run(_ arguments: [String]) throws -> CommandResult {
    if let redis { return try redis.run(arguments) }
    return try sqlite!.run(arguments)
  }

  /// The `--broker` (and `--backend`) flags of the sandbox.
  var connectionArguments: [String] {
    if let redis { return ["--broker", redis.brokerURL, "--backend", redis.backendURL] }
    return ["--broker", sqlite!.brokerURL]
  }

  /// Starts a worker and waits until its pools are ready.
  func worker(_ arguments: [String]) async throws -> WorkerProcess {
    if let redis { return try await redis.worker(arguments) }
    return try await WorkerProcess(sandbox: sqlite!, arguments: arguments)
  }

  /// A producer's connection.
  func connection() throws -> Connection {
    if let redis { return try redis.connection() }
    return try sqlite!.connection()
  }

  /// The raw messages waiting in queue `celery`, as stored.
  func storedMessages() throws -> [String] {
    if let redis {
      let text = try redis.server.command(["LRANGE", "celery", "0", "-1"])
      return text.isEmpty ? [] : [text]
    }
    let query = try runProcess(
      "/usr/bin/sqlite3",
      [sqlite!.databasePath, "SELECT payload FROM tasks WHERE queue = 'celery'"],
      directory: directory)
    let text = query.stdout.trimmingCharacters(in: .newlines)
    return text.isEmpty ? [] : [text]
  }
}
