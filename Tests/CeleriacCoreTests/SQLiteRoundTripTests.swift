import Celeriac
import Foundation
import Testing

/// A fresh directory for one test's SQLite file, removed afterwards.
private final class TemporaryDirectory {
  let path: String

  init() throws {
    path =
      FileManager.default.temporaryDirectory
      .appendingPathComponent("celeriac-core-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  var sqliteURL: String { "sqlite://\(path)/celeriac.db" }
}

@Suite("SQLite round trip through CeleriacApp")
struct SQLiteRoundTripTests {
  @Test("send with no worker: PENDING, then a stored record is what get() returns")
  func pendingThenStored() async throws {
    let directory = try TemporaryDirectory()
    #expect(directory.sqliteURL.hasPrefix("sqlite:///"))
    let app = CeleriacApp(configuration: CeleriacConfiguration(brokerURL: directory.sqliteURL))
    let result = try await app.send("tasks.add", args: [2, 3])
    #expect(try await result.state() == .pending)
    #expect(try await result.record() == nil)
    #expect(try app.connection().broker.depths(of: ["celery"]) == ["celery": 1])
    let timeout = await #expect(throws: CeleriacError.self) {
      try await result.get(timeout: .milliseconds(50))
    }
    #expect(timeout?.code == .timeout)
    #expect(timeout?.message.contains(result.id) == true)
    #expect(timeout?.message.contains("PENDING") == true)

    let backend = try app.connection().backend
    try backend.store(
      [TaskResultRecord(taskID: result.id, state: .started, name: "tasks.add")],
      expiresIn: .seconds(60))
    #expect(try await result.state() == .started)
    try backend.store(
      [TaskResultRecord(taskID: result.id, state: .success, result: 5, name: "tasks.add")],
      expiresIn: .seconds(60))
    #expect(try await result.get(timeout: .seconds(5)) == 5)
    #expect(try await app.result(for: result.id).get(as: Int.self) == 5)
    #expect(FileManager.default.fileExists(atPath: "\(directory.path)/celeriac.db"))
  }

  @Test("a stored FAILURE is thrown by get(); a REVOKED record throws TaskRevokedError")
  func failureAndRevoked() async throws {
    let directory = try TemporaryDirectory()
    let app = CeleriacApp(configuration: CeleriacConfiguration(brokerURL: directory.sqliteURL))
    let failing = try await app.send("tasks.fail")
    let revoked = try await app.send("tasks.other")
    let backend = try app.connection().backend
    let failure = TaskFailure(type: "ValueError", message: "bad input")
    try backend.store(
      [
        TaskResultRecord(taskID: failing.id, state: .failure, failure: failure),
        TaskResultRecord(taskID: revoked.id, state: .revoked),
      ], expiresIn: nil)
    await #expect(throws: failure) { try await failing.get(timeout: .seconds(5)) }
    let error = await #expect(throws: TaskFailure.self) {
      try await revoked.get(timeout: .seconds(5))
    }
    #expect(error?.type == "TaskRevokedError")
  }

  @Test("a second send with the same idempotency key returns the first task's handle")
  func idempotencyKey() async throws {
    let directory = try TemporaryDirectory()
    let app = CeleriacApp(configuration: CeleriacConfiguration(brokerURL: directory.sqliteURL))
    let options = SendOptions(idempotencyKey: "invoice-7")
    let first = try await app.send("tasks.bill", options: options)
    let second = try await app.send("tasks.bill", options: options)
    let other = try await app.send("tasks.bill", options: SendOptions(idempotencyKey: "invoice-8"))
    #expect(second.id == first.id)
    #expect(other.id != first.id)
    #expect(try app.connection().broker.depths(of: ["celery"]) == ["celery": 2])
  }
}
