import Celeriac
import Foundation

/// One of the two brokers, set up for a test that must hold on both: a SQLite sandbox or a
/// Redis server (broker on db 0, results on db 1).
enum BrokerKind: String, CaseIterable, CustomStringConvertible, Sendable {
  case sqlite
  case redis

  var description: String { rawValue }
}

/// A broker of either kind with a scratch directory, a producer connection and a worker.
final class BrokerUnderTest {
  let kind: BrokerKind
  private let sqlite: Sandbox?
  let redis: RedisSandbox?

  init(_ kind: BrokerKind) async throws {
    self.kind = kind
    switch kind {
    case .sqlite:
      sqlite = try Sandbox()
      redis = nil
    case .redis:
      sqlite = nil
      redis = try await RedisSandbox()
    }
  }

  /// The scratch directory.
  var directory: String { sqlite?.directory ?? redis!.directory }

  /// The configuration a producer uses.
  var configuration: CeleriacConfiguration {
    if let redis {
      return CeleriacConfiguration(brokerURL: redis.brokerURL, backendURL: redis.backendURL)
    }
    return CeleriacConfiguration(brokerURL: sqlite!.brokerURL)
  }

  /// A producer connection.
  func connection() throws -> Connection { try ConnectionFactory.open(configuration) }

  /// Starts `celeriac worker ARGUMENTS` on this broker and waits until it is ready.
  func worker(_ arguments: [String]) async throws -> WorkerProcess {
    if let redis { return try await redis.worker(arguments) }
    return try await WorkerProcess(sandbox: sqlite!, arguments: arguments)
  }

  /// Runs `celeriac ARGUMENTS` against this broker.
  func run(_ arguments: [String]) throws -> CommandResult {
    if let redis { return try redis.run(arguments) }
    return try sqlite!.run(arguments)
  }
}
