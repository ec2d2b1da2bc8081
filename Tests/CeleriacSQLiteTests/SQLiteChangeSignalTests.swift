import CeleriacCore
import CeleriacTestSupport
import Foundation
import Testing

@testable import CeleriacSQLite

#if canImport(Glibc)
  import Glibc
#endif

/// Whether `signal`'s descriptor is readable within `milliseconds`.
private func readable(_ signal: SQLiteChangeSignal, within milliseconds: Int32) -> Bool {
  var descriptor = pollfd(fd: signal.descriptor, events: Int16(POLLIN), revents: 0)
  return poll(&descriptor, 1, milliseconds) == 1
}

@Suite("SQLiteChangeSignal: the write-ahead log, and nothing else in its folder")
struct SQLiteChangeSignalTests {
  @Test("a commit makes it readable; writes to a neighbour file do not")
  func commitsWakeNeighboursDoNot() async throws {
    try await withStore { broker, _, path in
      _ = try broker.depths(of: ["celery"])  // the log exists once the file is open
      let signal = try #require(SQLiteChangeSignal(databasePath: path))
      defer { signal.close() }
      let trace = path + ".trace"
      _ = FileManager.default.createFile(atPath: trace, contents: nil)
      let neighbour = try #require(FileHandle(forWritingAtPath: trace))
      defer { try? neighbour.close() }
      // Creating the neighbour is an IN_CREATE of another name: drained as no change.
      if readable(signal, within: 100) { #expect(!signal.drain()) }
      for _ in 0..<200 { neighbour.write(Data(repeating: 65, count: 512)) }
      #expect(!readable(signal, within: 100))
      try broker.publish([message("t1")])
      #expect(readable(signal, within: 5_000))
      #expect(signal.drain())
    }
  }

  @Test("a log that appears after the watch starts is watched from then on")
  func logCreatedLater() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory + "/late.db"
      let signal = try #require(SQLiteChangeSignal(databasePath: path))
      defer { signal.close() }
      let broker = SQLiteBroker(store: try SQLiteStore(path: path))
      try broker.publish([message("t1")])
      #expect(readable(signal, within: 5_000))
      #expect(signal.drain())
      try broker.publish([message("t2")])
      #expect(readable(signal, within: 5_000))
      #expect(signal.drain())
    }
  }

  @Test("one drain reads a bounded amount: a flood of events cannot hold its caller")
  func drainIsBounded() async throws {
    try await withStore { broker, _, path in
      _ = try broker.depths(of: ["celery"])
      let signal = try #require(SQLiteChangeSignal(databasePath: path))
      defer { signal.close() }
      // 4,000 files created next to the database: distinct names, so inotify cannot merge
      // their events, and each takes over 16 bytes: more than one drain may read.
      for index in 0..<4_000 {
        _ = FileManager.default.createFile(atPath: path + ".neighbour-\(index)", contents: nil)
      }
      let eventBytes = 4_000 * (16 + 16)
      #expect(eventBytes > SQLiteChangeSignal.maximumDrainBytes)
      #expect(readable(signal, within: 5_000))
      #expect(!signal.drain())
      // Left for the next turn of the caller's loop; an unbounded drain would have read all.
      #expect(readable(signal, within: 0))
      while readable(signal, within: 0) { #expect(!signal.drain()) }
    }
  }
}
