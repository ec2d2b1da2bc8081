import CeleriacCore
import Foundation
import GRDB
import Testing

@testable import CeleriacSQLite

/// Runs `body` with the path of a fresh directory that is removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("celeriac-sqlite-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  return try await body(directory.path)
}

/// Runs `body` with a broker and a backend sharing one store in a fresh file.
func withStore<T>(
  _ body: (_ broker: SQLiteBroker, _ backend: SQLiteResultBackend, _ path: String) async throws
    -> T
) async throws -> T {
  try await withTemporaryDirectory { directory in
    let path = directory + "/celeriac.db"
    let store = try SQLiteStore(path: path)
    return try await body(SQLiteBroker(store: store), SQLiteResultBackend(store: store), path)
  }
}

/// A message named `tasks.test` on `queue`.
func message(_ id: String, queue: String = "celery", eta: Date? = nil) -> TaskMessage {
  TaskMessage(id: id, name: "tasks.test", args: [.int(1)], queue: queue, eta: eta)
}

/// Runs `body` on `count` threads at once and waits for all of them.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
  let group = DispatchGroup()
  for index in 0..<count {
    group.enter()
    let thread = Thread {
      body(index)
      group.leave()
    }
    thread.start()
  }
  group.wait()
}

extension SQLiteStore {
  /// Runs raw SQL, for setting up states the public API does not produce.
  func execute(_ sql: String, _ arguments: StatementArguments = []) throws {
    try pool.write { db in try db.execute(sql: sql, arguments: arguments) }
  }

  /// The rows of a raw query.
  func rows(_ sql: String, _ arguments: StatementArguments = []) throws -> [Row] {
    try pool.read { db in try Row.fetchAll(db, sql: sql, arguments: arguments) }
  }
}
