import CeleriacCore
import Foundation
import Synchronization
import Testing

@testable import CeleriacSQLite

@Suite("SQLite result backend")
struct SQLiteResultBackendTests {
  /// Dates survive JSON to the microsecond: whole seconds compare equal after a round trip.
  let done = Date(timeIntervalSince1970: 1_795_000_000)

  @Test("records are upserted and read back")
  func upsertAndFetch() async throws {
    try await withStore { _, backend, _ in
      #expect(try backend.result(for: "t1") == nil)
      let started = TaskResultRecord(
        taskID: "t1", state: .started, dateDone: done, name: "tasks.add")
      try backend.store([started], expiresIn: nil)
      #expect(try backend.result(for: "t1") == started)

      let success = TaskResultRecord(
        taskID: "t1", state: .success, result: .int(5), dateDone: done, name: "tasks.add",
        children: ["c"])
      let other = TaskResultRecord(
        taskID: "t2", state: .failure,
        failure: TaskFailure(type: "ValueError", message: "bad"), dateDone: done)
      try backend.store([success, other], expiresIn: .seconds(60))
      #expect(try backend.result(for: "t1") == success)
      #expect(try backend.result(for: "t2") == other)
      #expect(try backend.store.rows("SELECT * FROM results").count == 2)
    }
  }

  @Test("expired records read as missing and are deleted by deleteExpired")
  func expiry() async throws {
    try await withStore { _, backend, _ in
      try backend.store(
        [TaskResultRecord(taskID: "old", state: .success)], expiresIn: .seconds(-1))
      try backend.store(
        [TaskResultRecord(taskID: "kept", state: .success)], expiresIn: .seconds(3_600))
      try backend.store([TaskResultRecord(taskID: "forever", state: .success)], expiresIn: nil)
      #expect(try backend.result(for: "old") == nil)
      #expect(try backend.result(for: "kept")?.state == .success)
      #expect(try backend.deleteExpired() == 1)
      #expect(try backend.deleteExpired() == 0)
      #expect(try backend.result(for: "forever")?.state == .success)
    }
  }

  @Test("waiting returns a ready record, or the last one seen at the timeout")
  func waitForResult() async throws {
    try await withStore { _, backend, _ in
      try backend.store([TaskResultRecord(taskID: "running", state: .started)], expiresIn: nil)
      #expect(try backend.waitForResult("running", timeout: .milliseconds(30))?.state == .started)
      #expect(try backend.waitForResult("unknown", timeout: .milliseconds(30)) == nil)

      let done = TaskResultRecord(
        taskID: "running", state: .success, result: .int(1), dateDone: done)
      let writer = Thread {
        Thread.sleep(forTimeInterval: 0.05)  // let the wait begin polling first
        try? backend.store([done], expiresIn: nil)
      }
      writer.start()
      #expect(try backend.waitForResult("running", timeout: .seconds(10)) == done)
    }
  }

  @Test("revoked ids are reported among others")
  func revoke() async throws {
    try await withStore { _, backend, _ in
      #expect(try backend.revoked(among: ["a"]) == [])
      try backend.revoke(["a", "b"])
      try backend.revoke(["a"])
      #expect(try backend.revoked(among: ["a", "c", "b"]) == ["a", "b"])
      #expect(try backend.revoked(among: []) == [])
    }
  }

  @Test("an idempotency key is held by its first task until it expires")
  func idempotencyKeys() async throws {
    try await withStore { _, backend, _ throws in
      #expect(try backend.reserveIdempotencyKey("k", for: "t1", expiresIn: .seconds(60)) == nil)
      #expect(try backend.reserveIdempotencyKey("k", for: "t2", expiresIn: .seconds(60)) == "t1")
      #expect(try backend.reserveIdempotencyKey("k", for: "t1", expiresIn: .seconds(60)) == nil)

      #expect(try backend.reserveIdempotencyKey("e", for: "t1", expiresIn: .seconds(-1)) == nil)
      #expect(try backend.reserveIdempotencyKey("e", for: "t2", expiresIn: .seconds(60)) == nil)
      #expect(try backend.reserveIdempotencyKey("e", for: "t3", expiresIn: .seconds(60)) == "t2")
    }
  }

  @Test("one of many stores racing for a key gets it")
  func idempotencyKeyRace() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory + "/keys.db"
      _ = try SQLiteStore(path: path)
      let answers = Mutex<[String: String?]>([:])
      onThreads(4) { index in
        let holder: String?
        do {
          let backend = try SQLiteResultBackend(path: path)
          holder = try backend.reserveIdempotencyKey("k", for: "t\(index)", expiresIn: .seconds(60))
        } catch {
          holder = "error: \(error)"
        }
        answers.withLock { $0["t\(index)"] = holder }
      }
      let all = answers.withLock { $0 }
      let winners = all.filter { $0.value == nil }.map(\.key)
      #expect(winners.count == 1)
      #expect(all.values.allSatisfy { $0 == nil || $0 == winners.first })
    }
  }
}
