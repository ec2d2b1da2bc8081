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

/// A signal of a broker on `server` watching `queues`, armed for `expected` and confirmed
/// armed: Redis counts one blocked client per armed watcher.
private func armedSignal(
  _ server: RedisTestServer, watching queues: [String], expecting expected: [String]
) async throws -> any ChangeSignal {
  let broker = RedisBroker(url: try RedisURL(server.url()))
  let signal = try #require(broker.openChangeSignal(watching: queues))
  signal.expectWork(on: expected)
  #expect(try await waitUntil { try server.blockedClients() == expected.count })
  return signal
}

@Suite("RedisQueueSignal: a supervisor waiting for work is woken by a push", .serialized)
struct RedisQueueSignalTests {
  @Test("an armed signal fires on LPUSH and leaves the list as it was")
  func firesOnPushAndLeavesTheList() async throws {
    try await withServer { server, _ in
      let signal = try await armedSignal(
        server, watching: ["celery", "other"], expecting: ["celery"])
      defer { signal.close() }
      #expect(!signal.seesEveryChange)
      try server.command(["LPUSH", "celery", "first"])
      #expect(fires(signal, within: .seconds(10)))
      signal.drain()
      #expect(try server.command(["LRANGE", "celery", "0", "-1"]) == "first")
      // Fired once, the watcher waits for the next expectWork: a second push goes unseen...
      try server.command(["LPUSH", "celery", "second"])
      #expect(try server.blockedClients() == 0)
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
      // "busy" has a backlog, but its pool has no idle child: the caller does not expect
      // work there, so the backlog must not wake it.
      try server.command(["LPUSH", "busy", "backlog"])
      let signal = try await armedSignal(
        server, watching: ["celery", "busy"], expecting: ["celery"])
      defer { signal.close() }
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
      let signal = try await armedSignal(server, watching: ["celery"], expecting: ["celery"])
      signal.close()
      // Well within BLMOVE's own 5 s timeout.
      #expect(try await waitUntil(timeout: .seconds(2)) { try server.blockedClients() == 0 })
    }
  }

  @Test("a Celery worker blocked in BRPOP on the same list still gets the message")
  func brpopConsumerIsStillServed() async throws {
    try await withServer { server, client in
      let signal = try await armedSignal(server, watching: ["celery"], expecting: ["celery"])
      defer { signal.close() }
      let popped = Task { try await client.send(["BRPOP", "celery", 10], timeout: .seconds(15)) }
      #expect(try await waitUntil { try server.blockedClients() == 2 })
      try server.command(["LPUSH", "celery", "task"])
      #expect(try await popped.value.array?.last?.string == "task")
      #expect(fires(signal, within: .seconds(10)))
    }
  }
}
