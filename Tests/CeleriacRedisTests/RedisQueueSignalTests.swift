import CeleriacCore
import CeleriacRedis
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Whether `signal`'s descriptor becomes readable within `timeout`.
private func fires(_ signal: any ChangeSignal, within timeout: Duration) -> Bool {
  var descriptor = pollfd(fd: signal.descriptor, events: Int16(POLLIN), revents: 0)
  return poll(&descriptor, 1, Int32(timeout.wholeMilliseconds)) == 1
}

/// How many of the server's clients are blocked in a command (`BLMOVE`).
private func blockedClients(_ server: RedisTestServer) throws -> Int {
  let info = try server.command(["INFO", "clients"])
  // INFO ends its lines with CRLF, one Character in Swift: split on any newline.
  let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("blocked_clients:") }
  return Int(
    line?.split(separator: ":").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
}

@Suite("RedisQueueSignal: a supervisor waiting for work is woken by a push", .serialized)
struct RedisQueueSignalTests {
  @Test("an armed signal fires on LPUSH and leaves the list as it was")
  func firesOnPushAndLeavesTheList() async throws {
    try await withServer { server, _ in
      let broker = RedisBroker(url: try RedisURL(server.url()))
      let signal = try #require(broker.openChangeSignal(watching: ["celery", "other"]))
      defer { signal.close() }
      #expect(!signal.seesEveryChange)
      signal.expectWork(on: ["celery"])
      #expect(try await waitUntil { try blockedClients(server) == 1 })
      try server.command(["LPUSH", "celery", "first"])
      #expect(fires(signal, within: .seconds(10)))
      signal.drain()
      #expect(try server.command(["LRANGE", "celery", "0", "-1"]) == "first")
      // Fired once, the watcher waits for the next expectWork: a second push goes unseen...
      try server.command(["LPUSH", "celery", "second"])
      #expect(try blockedClients(server) == 0)
      // ...until the caller expects work again, when a non-empty list fires at once.
      signal.expectWork(on: ["celery"])
      #expect(fires(signal, within: .seconds(10)))
      signal.drain()
      #expect(try server.command(["LRANGE", "celery", "0", "-1"]) == "second\nfirst")
    }
  }

  @Test("only the queues expected to bring work are watched")
  func watchesOnlyTheExpectedQueues() async throws {
    try await withServer { server, _ in
      let broker = RedisBroker(url: try RedisURL(server.url()))
      let signal = try #require(broker.openChangeSignal(watching: ["celery", "busy"]))
      defer { signal.close() }
      // "busy" has a backlog, but its pool has no idle child: the caller does not expect
      // work there, so the backlog must not wake it.
      try server.command(["LPUSH", "busy", "backlog"])
      signal.expectWork(on: ["celery"])
      #expect(try await waitUntil { try blockedClients(server) == 1 })
      // A watcher on "busy" would have returned at once (its list is not empty) and fired.
      #expect(!fires(signal, within: .milliseconds(100)))
      try server.command(["LPUSH", "busy", "more"])
      #expect(!fires(signal, within: .milliseconds(100)))
      try server.command(["LPUSH", "celery", "work"])
      #expect(fires(signal, within: .seconds(10)))
    }
  }

  @Test("close cuts a blocked BLMOVE short")
  func closeEndsTheWatchers() async throws {
    try await withServer { server, _ in
      let broker = RedisBroker(url: try RedisURL(server.url()))
      let signal = try #require(broker.openChangeSignal(watching: ["celery"]))
      signal.expectWork(on: ["celery"])
      #expect(try await waitUntil { try blockedClients(server) == 1 })
      signal.close()
      // Well within BLMOVE's own 5 s timeout.
      #expect(try await waitUntil(timeout: .seconds(2)) { try blockedClients(server) == 0 })
    }
  }

  @Test("a Celery worker blocked in BRPOP on the same list still gets the message")
  func brpopConsumerIsStillServed() async throws {
    try await withServer { server, client in
      let broker = RedisBroker(url: try RedisURL(server.url()))
      let signal = try #require(broker.openChangeSignal(watching: ["celery"]))
      defer { signal.close() }
      signal.expectWork(on: ["celery"])
      #expect(try await waitUntil { try blockedClients(server) == 1 })
      let popped = Task { try await client.send(["BRPOP", "celery", 10], timeout: .seconds(15)) }
      #expect(try await waitUntil { try blockedClients(server) == 2 })
      try server.command(["LPUSH", "celery", "task"])
      #expect(try await popped.value.array?.last?.string == "task")
      #expect(fires(signal, within: .seconds(10)))
    }
  }
}
