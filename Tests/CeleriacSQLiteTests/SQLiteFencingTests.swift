import CeleriacCore
import CeleriacTestSupport
import Foundation
import Testing

@testable import CeleriacSQLite

#if canImport(Glibc)
  import Glibc
#endif

/// A supervisor whose lease ran out cannot touch rows another supervisor now holds, and the
/// file the queues live in is checked where it is opened.
@Suite("SQLite fencing, retention and file checks")
struct SQLiteFencingTests {
  @Test("A stalled consumer's late acknowledgement leaves the new holder's row alone")
  func staleAcknowledgementIsFenced() async throws {
    try await withStore { stalled, _, path in
      let other = SQLiteBroker(store: try SQLiteStore(path: path))
      let short = ConsumerIdentity(id: "stalled", lease: .milliseconds(50))
      let live = ConsumerIdentity(id: "live", lease: .seconds(60))
      try stalled.publish([message("t1")])
      let held = try stalled.claim(from: ["celery"], limit: 1, consumer: short).deliveries
      #expect(held.count == 1)
      // The lease runs out; another supervisor recovers the row and claims it.
      #expect(
        try await waitForValue(timeout: .seconds(5)) {
          try other.recoverAbandoned() == 1 ? true : nil
        } == true)
      let reclaimed = try other.claim(from: ["celery"], limit: 1, consumer: live).deliveries
      #expect(reclaimed.map(\.message.id) == ["t1"])
      #expect(reclaimed.first?.tag == held.first?.tag)  // the same row, so the same tag
      // The stalled one wakes up: its settle calls change nothing.
      try stalled.acknowledge(held.map(\.tag))
      try stalled.release(held.map(\.tag), countAsRedelivery: true)
      try stalled.deadLetter(held[0].tag, reason: "late")
      let rows = try other.store.rows("SELECT consumer, state FROM tasks")
      #expect(rows.count == 1 && (rows.first?["consumer"] as String?) == "live")
      #expect(try other.deadLetters(limit: 5).isEmpty)
      // The new holder settles normally.
      try other.acknowledge(reclaimed.map(\.tag))
      #expect(try other.store.rows("SELECT * FROM tasks").isEmpty)
    }
  }

  @Test("Lease renewal reports the deliveries another consumer took back")
  func renewalReportsLostDeliveries() async throws {
    try await withStore { stalled, _, path in
      let other = SQLiteBroker(store: try SQLiteStore(path: path))
      let short = ConsumerIdentity(id: "stalled", lease: .milliseconds(50))
      try stalled.publish([message("a"), message("b")])
      let held = try stalled.claim(from: ["celery"], limit: 2, consumer: short).deliveries
      #expect(try stalled.renewLease(for: short).isEmpty)
      #expect(
        try await waitForValue(timeout: .seconds(5)) {
          try other.recoverAbandoned() == 2 ? true : nil
        } == true)
      let lost = try stalled.renewLease(for: short)
      #expect(Set(lost) == Set(held.map(\.tag)))
      #expect(try stalled.renewLease(for: short).isEmpty)  // reported once
    }
  }

  @Test("Dead letters are trimmed by age and by count, the newest kept")
  func deadLetterRetention() async throws {
    try await withStore { broker, _, _ in
      let consumer = ConsumerIdentity(id: "w")
      try broker.publish((0..<5).map { message("d\($0)") })
      for delivery in try broker.claim(from: ["celery"], limit: 5, consumer: consumer).deliveries {
        try broker.deadLetter(delivery.tag, reason: "test")
      }
      #expect(try broker.trimDeadLetters(keeping: 10, olderThan: .seconds(60)) == 0)
      #expect(try broker.trimDeadLetters(keeping: 3, olderThan: .seconds(60)) == 2)
      #expect(try broker.deadLetters(limit: 10).compactMap(\.taskID) == ["d4", "d3", "d2"])
      try broker.store.execute(
        "UPDATE dead_letters SET created = created - 120 WHERE task_id = 'd2'")
      #expect(try broker.trimDeadLetters(keeping: 3, olderThan: .seconds(60)) == 1)
      #expect(try broker.deadLetters(limit: 10).compactMap(\.taskID) == ["d4", "d3"])
    }
  }

  @Test("The file is refused when it is a symbolic link, shared for writing, or not a file")
  func fileChecks() async throws {
    try await withTemporaryDirectory { directory in
      let real = directory + "/real.db"
      _ = try SQLiteStore(path: real)
      let link = directory + "/link.db"
      try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
      #expect {
        _ = try SQLiteStore(path: link)
      } throws: { error in
        "\(error)".contains("symbolic link") && "\(error)".contains(link)
      }
      let shared = directory + "/shared.db"
      _ = try SQLiteStore(path: shared)
      chmod(shared, 0o666)
      #expect {
        _ = try SQLiteStore(path: shared)
      } throws: { error in
        "\(error)".contains("writable by group or others")
      }
      #expect {
        _ = try SQLiteStore(path: directory)
      } throws: { _ in true }
    }
  }
}
