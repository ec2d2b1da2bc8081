import CeleriacCore
import CeleriacTestSupport
import Foundation
import Synchronization
import Testing

@testable import CeleriacSQLite

@Suite("SQLite store")
struct SQLiteStoreTests {
  private func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
  }

  @Test("the file and its -wal and -shm files are owner-only")
  func ownerOnlyPermissions() async throws {
    try await withStore { broker, _, path in
      try broker.publish([message("t1")])
      #expect(try mode(path) == 0o600)
      for suffix in ["-wal", "-shm"] {
        #expect(FileManager.default.fileExists(atPath: path + suffix))
        #expect(try mode(path + suffix) == 0o600)
      }
    }
  }

  @Test("the file's descriptors close on exec, so spawned children do not inherit them")
  func descriptorsCloseOnExec() async throws {
    try await withStore { broker, backend, path in
      try broker.publish([message("t1")])
      _ = try backend.result(for: "t1")
      let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
      var ours = 0
      for name in descriptors {
        guard let descriptor = Int32(name),
          let target = try? FileManager.default.destinationOfSymbolicLink(
            atPath: "/proc/self/fd/\(name)"),
          target.hasPrefix(path)
        else { continue }
        ours += 1
        #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC != 0, "\(target)")
      }
      #expect(ours >= 3)
    }
  }

  @Test("a missing directory gives brokerUnavailable naming the path")
  func missingDirectory() async throws {
    let path = "/nonexistent-celeriac-dir/sub/celeriac.db"
    let error = try #require(throws: CeleriacError.self) { try SQLiteBroker(path: path) }
    #expect(error.code == .brokerUnavailable)
    #expect(error.message == "cannot open SQLite broker at \(path): No such file or directory")

    let backendError = try #require(throws: CeleriacError.self) {
      try SQLiteResultBackend(path: path)
    }
    #expect(backendError.code == .backendUnavailable)
    #expect(backendError.message.contains(path))
  }

  @Test("a file that is not a database gives brokerUnavailable naming the path")
  func notADatabase() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory + "/notes.txt"
      try String(repeating: "not a database\n", count: 400).write(
        toFile: path, atomically: true, encoding: .utf8)
      let error = try #require(throws: CeleriacError.self) { try SQLiteStore(path: path) }
      #expect(error.code == .brokerUnavailable)
      #expect(error.message.hasPrefix("cannot open SQLite broker at \(path): "))
      #expect(error.message.contains("not a database"))
      #expect(!error.message.contains("\n"))

      let directoryError = try #require(throws: CeleriacError.self) {
        try SQLiteStore(path: directory)
      }
      #expect(directoryError.code == .brokerUnavailable)
      #expect(directoryError.message.contains(directory))
    }
  }

  @Test("several stores opening a fresh file at once all succeed")
  func concurrentOpen() async throws {
    try await withTemporaryDirectory { directory throws in
      let path = directory + "/fresh.db"
      let failures = Mutex<[String]>([])
      onThreads(4) { index in
        do {
          let broker = try SQLiteBroker(path: path)
          try broker.publish([message("t\(index)")])
        } catch {
          failures.withLock { $0.append("\(error)") }
        }
      }
      #expect(failures.withLock { $0 } == [])
      #expect(try SQLiteBroker(path: path).depths(of: ["celery"]) == ["celery": 4])
    }
  }

  @Test(
    "URLs name absolute and relative paths",
    arguments: [
      ("sqlite:///var/lib/celeriac/broker.db", "/var/lib/celeriac/broker.db"),
      ("sqlite://relative.db", "relative.db"),
      ("sqlite://data/celeriac.db", "data/celeriac.db"),
      ("SQLite:///a%20b.db", "/a b.db"),
    ])
  func urlParsing(url: String, path: String) throws {
    #expect(try SQLiteStore.path(fromURL: url) == path)
  }

  @Test(
    "bad URLs give invalidURL with one line naming the URL",
    arguments: [
      "redis://localhost:6379/0", "sqlite:", "sqlite://", "sqlite:///", "sqlite:///a.db?mode=ro",
      "sqlite:///dir/", "/plain/path.db",
    ])
  func badURLs(url: String) throws {
    let error = try #require(throws: CeleriacError.self) { try SQLiteStore.path(fromURL: url) }
    #expect(error.code == .invalidURL)
    #expect(error.message.contains(url))
    #expect(!error.message.contains("\n"))
  }

  @Test("the redacted URL names the file")
  func redactedURL() async throws {
    try await withStore { broker, backend, path throws in
      #expect(broker.redactedURL == "sqlite://" + path)
      #expect(backend.redactedURL == broker.redactedURL)
      #expect(try SQLiteStore.path(fromURL: broker.redactedURL) == path)
      for odd in ["/tmp/a?b#c%d.db", "rel/x y.db"] {
        #expect(try SQLiteStore.path(fromURL: SQLiteStore.url(forPath: odd)) == odd)
      }
    }
  }
}

@Suite("SQLite checkpoints")
struct SQLiteCheckpointTests {
  private func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
  }

  @Test(
    "a producer's commits leave the log to grow; a worker's first claim starts copying it back in the background"
  )
  func workerCheckpointsInTheBackground() async throws {
    try await withStore { broker, _, path in
      // 400 messages of about 1 KiB: some hundred pages, far below the automatic threshold,
      // so no commit checkpoints.
      let padding = String(repeating: "x", count: 1_000)
      try broker.publish(
        (0..<400).map { TaskMessage(id: "t\($0)", name: "tasks.test", args: [.string(padding)]) })
      let before = fileSize(path)
      #expect(fileSize(path + "-wal") > 100 * 4096)
      let consumer = ConsumerIdentity(id: "checkpoint-test", lease: .seconds(30))
      _ = try broker.claim(from: ["celery"], limit: 1, consumer: consumer)
      // The database file grows as the pages are copied into it.
      #expect(
        try await waitUntil(timeout: .seconds(10)) { fileSize(path) > before + 100 * 4096 })
    }
  }
}
