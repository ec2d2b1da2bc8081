import CeleriacCore
import CeleriacRedis
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A broker on db 0 and a backend on db 1 of a fresh server, plus a plain client on db 0.
struct BrokerFixture {
  let server: RedisTestServer
  let broker: RedisBroker
  let backend: RedisResultBackend
  let client: RedisClient

  init(_ extraArguments: [String] = [], userInfo: String = "") async throws {
    server = try await RedisTestServer.started(extraArguments: extraArguments)
    broker = try RedisBroker(
      url: server.url(userInfo: userInfo, suffix: "/0"), resultDatabase: 1)
    backend = try RedisResultBackend(url: server.url(userInfo: userInfo, suffix: "/1"))
    client = try RedisClient(server.url(userInfo: userInfo, suffix: "/0"))
  }

  /// Runs one command on db 0.
  @discardableResult
  func redis(_ command: [any RESPArgument]) throws -> RESPValue {
    try client.sendSync(command)
  }

  func close() {
    broker.close()
    backend.close()
    client.shutdownSync()
    server.stop()
  }
}

/// Runs `body` with a fresh fixture and tears it down.
func withBroker(
  _ extraArguments: [String] = [], userInfo: String = "",
  _ body: (BrokerFixture) async throws -> Void
) async throws {
  let fixture = try await BrokerFixture(extraArguments, userInfo: userInfo)
  defer { fixture.close() }
  try await body(fixture)
}

let worker = ConsumerIdentity(id: "test-worker.1", lease: .seconds(30))

@Suite("RedisBroker and RedisResultBackend against a real redis-server", .serialized)
struct RedisBrokerTests {
  @Test("Publish, claim in FIFO order, acknowledge; kombu bindings on first publish")
  func publishClaimAcknowledge() async throws {
    try await withBroker { fixture in
      let messages = (1...3).map { TaskMessage(name: "tasks.add", args: [.int($0), 1]) }
      try fixture.broker.publish(messages)
      #expect(try fixture.broker.depths(of: ["celery"]) == ["celery": 3])
      #expect(try fixture.redis(["LLEN", "celery"]).int == 3)
      let binding = try fixture.redis(["SMEMBERS", "_kombu.binding.celery"]).array ?? []
      #expect(binding.map(\.string) == ["celery\u{06}\u{16}\u{06}\u{16}celery"])
      #expect(try fixture.redis(["SCARD", "_kombu.binding_permanent.celery"]).int == 1)

      let batch = try fixture.broker.claim(from: ["celery"], limit: 2, consumer: worker)
      #expect(batch.deliveries.map(\.message.id) == messages.prefix(2).map(\.id))
      #expect(batch.deliveries.allSatisfy { $0.redeliveries == 0 })
      #expect(try fixture.broker.depths(of: ["celery"]) == ["celery": 1])
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(worker.id)]).int == 2)
      let ttl = try fixture.redis(["PTTL", RedisKeys.liveness(worker.id)]).int ?? 0
      #expect(ttl > 25_000 && ttl <= 30_000)

      try fixture.broker.acknowledge(batch.deliveries.map(\.tag))
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(worker.id)]).int == 0)
      let rest = try fixture.broker.claim(from: ["celery", "other"], limit: 5, consumer: worker)
      #expect(rest.deliveries.map(\.message.id) == [messages[2].id])
      // Acknowledging twice, or an unknown tag, is harmless.
      try fixture.broker.acknowledge(rest.deliveries.map(\.tag) + [DeliveryTag(rawValue: "x")])
      try fixture.broker.acknowledge(rest.deliveries.map(\.tag))
    }
  }

  @Test("Queues are read in the given order, each in kombu's priority order")
  func priorityOrder() async throws {
    try await withBroker { fixture in
      func raw(_ id: String, _ queue: String) -> String {
        CeleryProtocol.encode(
          TaskMessage(id: id, name: "tasks.noop", queue: queue), origin: "o", replyTo: "r")
      }
      try fixture.redis(["LPUSH", "celery\u{06}\u{16}6", raw("p6", "celery")])
      try fixture.redis(["LPUSH", "celery\u{06}\u{16}3", raw("p3", "celery")])
      try fixture.redis(["LPUSH", "celery", raw("p0", "celery")])
      try fixture.redis(["LPUSH", "second", raw("s0", "second")])
      let batch = try fixture.broker.claim(
        from: ["second", "celery"], limit: 10, consumer: worker)
      #expect(batch.deliveries.map(\.message.id) == ["s0", "p0", "p3", "p6"])
      #expect(batch.deliveries.map(\.message.queue) == ["second", "celery", "celery", "celery"])
    }
  }

  @Test("Release puts a task back at the front, counting a redelivery only when asked")
  func release() async throws {
    try await withBroker { fixture in
      let first = TaskMessage(name: "tasks.noop")
      let second = TaskMessage(name: "tasks.noop")
      try fixture.broker.publish([first, second])
      var batch = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      try fixture.broker.release(batch.deliveries.map(\.tag), countAsRedelivery: false)
      batch = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(batch.deliveries.map(\.message.id) == [first.id])
      #expect(batch.deliveries.first?.redeliveries == 0)
      try fixture.broker.release(batch.deliveries.map(\.tag), countAsRedelivery: true)
      batch = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(batch.deliveries.map(\.message.id) == [first.id])
      #expect(batch.deliveries.first?.redeliveries == 1)
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(worker.id)]).int == 1)
    }
  }

  @Test("A consumer whose lease runs out loses its tasks to recoverAbandoned, redelivered")
  func leaseRecovery() async throws {
    try await withBroker { fixture in
      let lost = ConsumerIdentity(id: "lost.1", lease: .milliseconds(200))
      let live = ConsumerIdentity(id: "live.1", lease: .seconds(30))
      let messages = (0..<3).map { _ in TaskMessage(name: "tasks.noop") }
      try fixture.broker.publish(messages)
      let held = try fixture.broker.claim(from: ["celery"], limit: 2, consumer: lost)
      let kept = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: live)
      #expect(held.deliveries.count == 2 && kept.deliveries.count == 1)
      #expect(try fixture.broker.recoverAbandoned() == 0)  // both leases still run

      let other = try RedisBroker(url: fixture.server.url(suffix: "/0"))
      defer { other.close() }
      var recovered = 0
      #expect(
        try await waitUntil {
          recovered += try other.recoverAbandoned()
          return recovered == 2
        })
      #expect(try fixture.redis(["EXISTS", RedisKeys.processing(lost.id)]).int == 0)
      let members = try fixture.redis(["SMEMBERS", RedisKeys.consumers]).array ?? []
      #expect(members.compactMap(\.string) == [live.id])
      let again = try other.claim(from: ["celery"], limit: 5, consumer: live)
      #expect(again.deliveries.map(\.message.id) == held.deliveries.map(\.message.id))
      #expect(again.deliveries.allSatisfy { $0.redeliveries == 1 })
      // The lost consumer's late acknowledgement finds nothing to remove.
      try fixture.broker.acknowledge(held.deliveries.map(\.tag))
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(live.id)]).int == 3)
    }
  }

  @Test("renewLease keeps a consumer's tasks")
  func renewLease() async throws {
    try await withBroker { fixture in
      let consumer = ConsumerIdentity(id: "renewing.1", lease: .milliseconds(300))
      try fixture.broker.publish([TaskMessage(name: "tasks.noop")])
      _ = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: consumer)
      for _ in 0..<6 {
        usleep(100_000)
        try fixture.broker.renewLease(for: consumer)
        #expect(try fixture.broker.recoverAbandoned() == 0)
      }
    }
  }

  @Test("A consumer cut off past its lease: renewal reports its lost deliveries, acks are fenced")
  func fencing() async throws {
    try await withBroker { fixture in
      let other = RedisBroker(url: fixture.broker.url, resultDatabase: 1)
      defer { other.close() }
      let cutOff = ConsumerIdentity(id: "cut-off.1", lease: .milliseconds(100))
      let live = ConsumerIdentity(id: "live.1", lease: .seconds(30))
      try fixture.broker.publish([TaskMessage(id: "f1", name: "tasks.noop")])
      let held = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: cutOff).deliveries
      #expect(held.count == 1)
      #expect(try await waitUntil { try other.recoverAbandoned() == 1 })
      let taken = try other.claim(from: ["celery"], limit: 1, consumer: live).deliveries
      #expect(taken.map(\.message.id) == ["f1"])
      // Back from the cut: the renewal says what was lost, and settling it touches nothing.
      #expect(try fixture.broker.renewLease(for: cutOff) == held.map(\.tag))
      try fixture.broker.acknowledge(held.map(\.tag))
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(live.id)]).int == 1)
      try other.acknowledge(taken.map(\.tag))
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(live.id)]).int == 0)
    }
  }

  @Test("A recovered message goes back to the list it was claimed from, whatever its routing key")
  func recoveryReturnsToOrigin() async throws {
    try await withBroker { fixture in
      // A Celery producer with a custom route: routing key "reports", list "images".
      var message = TaskMessage(id: "o1", name: "tasks.noop", queue: "reports")
      message.args = [1]
      let raw = CeleryProtocol.encode(message, origin: "t", replyTo: "t")
      try fixture.redis(["LPUSH", "images", raw])
      // And a priority message on kombu's priority list of "images".
      let priority = CeleryProtocol.encode(
        TaskMessage(id: "o2", name: "tasks.noop", queue: "images"), origin: "t", replyTo: "t")
      try fixture.redis(["LPUSH", CeleryProtocol.priorityQueues(of: "images")[1], priority])
      let lost = ConsumerIdentity(id: "origin.1", lease: .milliseconds(100))
      let claimed = try fixture.broker.claim(from: ["images"], limit: 5, consumer: lost)
      #expect(Set(claimed.deliveries.map(\.message.id)) == ["o1", "o2"])
      #expect(try fixture.redis(["HLEN", RedisKeys.origins(lost.id)]).int == 2)
      #expect(try await waitUntil { try fixture.broker.recoverAbandoned() > 0 })
      #expect(try fixture.redis(["LLEN", "images"]).int == 1)
      #expect(try fixture.redis(["LLEN", "reports"]).int == 0)
      #expect(try fixture.redis(["LLEN", CeleryProtocol.priorityQueues(of: "images")[1]]).int == 1)
      #expect(try fixture.redis(["EXISTS", RedisKeys.origins(lost.id)]).int == 0)
      // Acknowledged in the usual way, a claim from its own list leaves no origin behind.
      try fixture.broker.publish([TaskMessage(id: "o3", name: "tasks.noop")])
      let plain = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(try fixture.redis(["EXISTS", RedisKeys.origins(worker.id)]).int == 0)
      try fixture.broker.acknowledge(plain.deliveries.map(\.tag))
    }
  }

  @Test("Recovery leaves the list of a consumer that came back before the move")
  func recoveryRechecksLiveness() async throws {
    try await withBroker { fixture in
      let consumer = ConsumerIdentity(id: "back.1", lease: .milliseconds(100))
      try fixture.broker.publish([TaskMessage(id: "r1", name: "tasks.noop")])
      _ = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: consumer)
      // Expired, then renewed again: recovery must see it alive and move nothing.
      #expect(
        try await waitUntil {
          try fixture.redis(["EXISTS", RedisKeys.liveness(consumer.id)]).int == 0
        })
      #expect(try fixture.broker.renewLease(for: consumer).isEmpty)
      #expect(try fixture.broker.recoverAbandoned() == 0)
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(consumer.id)]).int == 1)
    }
  }

  @Test("Dead letters are trimmed by count and by age, the newest kept")
  func deadLetterRetention() async throws {
    try await withBroker { fixture in
      for index in 0..<5 {
        try fixture.redis(["LPUSH", "celery", "not json \(index)"])
      }
      let batch = try fixture.broker.claim(from: ["celery"], limit: 5, consumer: worker)
      #expect(batch.deadLettered.count == 5)
      #expect(try fixture.broker.trimDeadLetters(keeping: 10, olderThan: .seconds(60)) == 0)
      #expect(try fixture.broker.trimDeadLetters(keeping: 3, olderThan: .seconds(60)) == 2)
      #expect(
        try fixture.broker.deadLetters(limit: 10).map(\.payload) == [
          "not json 4", "not json 3", "not json 2",
        ])
      #expect(try fixture.broker.trimDeadLetters(keeping: 3, olderThan: .zero) == 3)
    }
  }

  @Test("Countdown tasks go on the list as Celery sends them, wait in the delayed set once claimed")
  func delayed() async throws {
    try await withBroker { fixture in
      let later = TaskMessage(name: "tasks.noop", eta: Date().addingTimeInterval(0.3))
      let now = TaskMessage(name: "tasks.noop")
      try fixture.broker.publish([later, now])
      // On the queue list, with its eta header: a Python Celery worker would serve it too.
      #expect(try fixture.redis(["LLEN", "celery"]).int == 2)
      var claimed = try fixture.broker.claim(from: ["celery"], limit: 5, consumer: worker)
      #expect(claimed.deliveries.map(\.message.id) == [now.id])
      #expect(try fixture.redis(["ZCARD", RedisKeys.delayed("celery")]).int == 1)
      #expect(try fixture.broker.depths(of: ["celery"]) == ["celery": 0])
      #expect(
        try await waitUntil {
          claimed = try fixture.broker.claim(from: ["celery"], limit: 5, consumer: worker)
          return !claimed.deliveries.isEmpty
        })
      #expect(claimed.deliveries.map(\.message.id) == [later.id])
      #expect(try fixture.redis(["ZCARD", RedisKeys.delayed("celery")]).int == 0)
    }
  }

  @Test("A Celery message with a future eta goes to the delayed set when claimed")
  func celeryETA() async throws {
    try await withBroker { fixture in
      var message = TaskMessage(name: "tasks.noop", eta: Date().addingTimeInterval(3_600))
      message.id = "future-1"
      let raw = CeleryProtocol.encode(message, origin: "gen1@py", replyTo: "r")
      try fixture.redis(["LPUSH", "celery", raw])
      let batch = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(batch.deliveries.isEmpty && batch.deadLettered.isEmpty)
      #expect(try fixture.redis(["LLEN", "celery"]).int == 0)
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(worker.id)]).int == 0)
      let delayed = try fixture.redis(["ZRANGE", RedisKeys.delayed("celery"), 0, -1])
      #expect(delayed.array?.first?.string == raw)
    }
  }

  @Test("Malformed messages go to dead-letter during the claim, good ones are claimed")
  func deadLetterOnClaim() async throws {
    try await withBroker { fixture in
      let good = TaskMessage(name: "tasks.add", args: [1, 2])
      try fixture.redis(["LPUSH", "celery", "this is not json"])
      try fixture.redis([
        "LPUSH", "celery",
        #"{"body": "gAR9lC4=", "content-type": "application/x-python-serialize", "content-encoding": "binary", "headers": {"task": "tasks.add", "id": "pickled-1"}, "properties": {"body_encoding": "base64", "delivery_info": {"routing_key": "celery"}}}"#,
      ])
      try fixture.broker.publish([good])
      let batch = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(batch.deliveries.map(\.message.id) == [good.id])
      #expect(batch.deadLettered.count == 2)
      #expect(batch.deadLettered.map(\.taskID) == [nil, "pickled-1"])
      #expect(batch.deadLettered[1].reason.contains("pickle is never deserialized"))
      let stored = try fixture.broker.deadLetters(limit: 10)
      #expect(stored.map(\.taskID) == ["pickled-1", nil])  // newest first
      #expect(stored[1].payload == "this is not json")
      #expect(stored.allSatisfy { $0.queue == "celery" })
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(worker.id)]).int == 1)
    }
  }

  @Test("deadLetter moves a claimed task with its reason")
  func deadLetterTag() async throws {
    try await withBroker { fixture in
      let message = TaskMessage(name: "tasks.unknown")
      try fixture.broker.publish([message])
      let batch = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      try fixture.broker.deadLetter(batch.deliveries[0].tag, reason: "not registered")
      let entries = try fixture.broker.deadLetters(limit: 5)
      #expect(entries.map(\.taskID) == [message.id])
      #expect(entries.first?.reason == "not registered")
      let payload = try CeleryProtocol.decode(entries[0].payload, queue: "celery").message
      #expect(payload.id == message.id && payload.name == message.name)
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(worker.id)]).int == 0)
    }
  }

  @Test("Purge deletes waiting and delayed messages, not claimed ones")
  func purge() async throws {
    try await withBroker { fixture in
      try fixture.broker.publish(
        (0..<4).map { _ in TaskMessage(name: "tasks.noop") } + [
          TaskMessage(name: "tasks.noop", eta: Date().addingTimeInterval(60))
        ])
      _ = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(try fixture.broker.purge("celery") == 4)
      #expect(try fixture.broker.depths(of: ["celery"]) == ["celery": 0])
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(worker.id)]).int == 1)
    }
  }

  @Test("Worker statuses expire with their TTL")
  func workerStatuses() async throws {
    try await withBroker { fixture in
      func status(_ name: String) -> WorkerStatus {
        WorkerStatus(
          hostname: name, pid: 1, startedAt: Date(timeIntervalSince1970: 1_800_000_000),
          updatedAt: Date(timeIntervalSince1970: 1_800_000_001), state: .running,
          pools: [
            PoolStatus(
              name: "celery", queues: ["celery"], depth: 3, busy: 1, idle: 1, target: 2,
              minimum: 1, maximum: 4)
          ], succeeded: 5, failed: 1)
      }
      try fixture.broker.publishWorkerStatus(status("a@h"), expiresIn: .seconds(30))
      try fixture.broker.publishWorkerStatus(status("b@h"), expiresIn: .milliseconds(100))
      #expect(try fixture.broker.workerStatuses() == [status("a@h"), status("b@h")])
      #expect(try await waitUntil { try fixture.broker.workerStatuses() == [status("a@h")] })
      #expect(try fixture.redis(["SMEMBERS", RedisKeys.workers]).array?.count == 1)
    }
  }

  @Test("Commit stores results on db 1 and acknowledges on db 0 in one transaction")
  func commit() async throws {
    try await withBroker { fixture in
      let message = TaskMessage(name: "tasks.add", args: [2, 3])
      try fixture.broker.publish([message])
      let batch = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(fixture.broker.sharesStorage(with: fixture.backend))
      let elsewhere = try RedisResultBackend(url: fixture.server.url(suffix: "/2"))
      defer { elsewhere.close() }
      #expect(!fixture.broker.sharesStorage(with: elsewhere))
      let record = TaskResultRecord(taskID: message.id, state: .success, result: 5)
      try fixture.broker.commit(
        results: [record], expiresIn: .seconds(100), acknowledging: batch.deliveries.map(\.tag))
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(worker.id)]).int == 0)
      #expect(try fixture.redis(["EXISTS", CeleryResult.key(for: message.id)]).int == 0)
      let stored = try #require(try fixture.backend.result(for: message.id))
      #expect(stored.state == .success && stored.result == 5)
      // The connection is back on db 0 afterwards.
      try fixture.broker.publish([TaskMessage(name: "tasks.noop")])
      #expect(try fixture.redis(["LLEN", "celery"]).int == 1)
      let backendClient = try fixture.backendClient()
      defer { backendClient.shutdownSync() }
      let ttl = try backendClient.sendSync(["TTL", CeleryResult.key(for: message.id)]).int
      #expect((ttl ?? 0) > 90)
      try fixture.broker.commit(results: [], expiresIn: nil, acknowledging: [])
    }
  }

  @Test("waitForResult sees a result published while it waits, and times out otherwise")
  func waitForResult() async throws {
    try await withBroker { fixture in
      let backend = fixture.backend
      let waiting = Task.detached { try backend.waitForResult("w1", timeout: .seconds(10)) }
      // Until the wait has subscribed to the result's channel (past its quick polls).
      let channel = CeleryResult.key(for: "w1")
      #expect(
        try await waitUntil {
          try fixture.redis(["PUBSUB", "NUMSUB", channel]).array?.last?.int == 1
        })
      try backend.store(
        [
          TaskResultRecord(taskID: "w1", state: .started),
          TaskResultRecord(taskID: "w1", state: .success, result: "done"),
        ], expiresIn: .seconds(60))
      let record = try await waiting.value
      #expect(record?.state == .success && record?.result == "done")
      // Already stored: returns at once.
      #expect(try backend.waitForResult("w1", timeout: .seconds(1))?.result == "done")
      let clock = ContinuousClock()
      let start = clock.now
      #expect(try backend.waitForResult("never", timeout: .milliseconds(200)) == nil)
      #expect(clock.now - start >= .milliseconds(200))
    }
  }

  @Test("The claim looks up revocations in the backend's database; a Python-written message too")
  func claimReadsRevocations() async throws {
    try await withBroker { fixture in
      let messages = (1...4).map { TaskMessage(name: "tasks.add", args: [.int($0), 1]) }
      try fixture.broker.publish(messages)
      try fixture.backend.revoke([messages[1].id, messages[3].id])
      let batch = try fixture.broker.claim(from: ["celery"], limit: 4, consumer: worker)
      #expect(batch.deliveries.count == 4)
      #expect(batch.revoked == [messages[1].id, messages[3].id])
      // The script selects the backend's database and back: the connection is still on db 0.
      #expect(try fixture.broker.depths(of: ["celery"]) == ["celery": 0])
      try fixture.broker.acknowledge(batch.deliveries.map(\.tag))
      // A message as Celery 5 writes it (captured), revoked: found under its header id.
      let raw = CeleryCaptures.messageArgs
      try fixture.redis(["LPUSH", "celery", raw])
      let captured = try CeleryProtocol.decode(raw, queue: "celery").message.id
      try fixture.backend.revoke([captured])
      let python = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(python.revoked == [captured])
      try fixture.broker.acknowledge(python.deliveries.map(\.tag))
      // A message whose envelope has no `"id": "…"` the script can find: unknown, not "none".
      let reshaped = raw.replacingOccurrences(of: "\"id\": \"", with: "\"id\":\"")
      try fixture.redis(["LPUSH", "celery", reshaped])
      let unknown = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(unknown.deliveries.count == 1)
      #expect(unknown.revoked == nil)
    }
  }

  @Test("Revocations and idempotency keys")
  func revokeAndIdempotency() async throws {
    try await withBroker { fixture in
      try fixture.backend.revoke(["r1", "r2"])
      #expect(try fixture.backend.revoked(among: ["r1", "x", "r2"]) == ["r1", "r2"])
      #expect(try fixture.backend.revoked(among: []) == [])
      #expect(
        try fixture.backend.reserveIdempotencyKey("k", for: "t1", expiresIn: .seconds(5)) == nil)
      #expect(
        try fixture.backend.reserveIdempotencyKey("k", for: "t1", expiresIn: .seconds(5)) == nil)
      #expect(
        try fixture.backend.reserveIdempotencyKey("k", for: "t2", expiresIn: .seconds(5)) == "t1")
      #expect(try fixture.backend.deleteExpired() == 0)
    }
  }

  @Test("An unreachable server is a clear brokerUnavailable error; calls work once it is up")
  func unavailable() async throws {
    let server = try RedisTestServer()
    let broker = try RedisBroker(url: server.url(suffix: "/0"))
    defer {
      broker.close()
      server.stop()
    }
    do {
      _ = try broker.claim(from: ["celery"], limit: 1, consumer: worker)
      Issue.record("claim succeeded without a server")
    } catch let error as CeleriacError {
      #expect(error.code == .brokerUnavailable)
      #expect(error.message.contains("127.0.0.1:\(server.port)"))
      #expect(error.message.contains("claim failed"))
    }
    try await server.start()
    #expect(
      try await waitUntil {
        (try? broker.depths(of: ["celery"])) == ["celery": 0]
      })
  }

  @Test("A claimed task survives a Redis restart with appendonly, and is acknowledged after")
  func restartWithPersistence() async throws {
    try await withBroker(["--appendonly", "yes", "--appendfsync", "always"]) { fixture in
      let message = TaskMessage(name: "tasks.noop")
      try fixture.broker.publish([message, TaskMessage(name: "tasks.noop")])
      let batch = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      fixture.server.stop()
      #expect(throws: CeleriacError.self) {
        try fixture.broker.acknowledge(batch.deliveries.map(\.tag))
      }
      try await fixture.server.start()
      #expect(try await waitUntil { (try? fixture.broker.depths(of: ["celery"])) == ["celery": 1] })
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(worker.id)]).int == 1)
      try fixture.broker.acknowledge(batch.deliveries.map(\.tag))
      #expect(try fixture.redis(["LLEN", RedisKeys.processing(worker.id)]).int == 0)
      // Scripts are loaded again after the restart.
      #expect(
        try fixture.broker.claim(from: ["celery"], limit: 5, consumer: worker).deliveries.count == 1
      )
    }
  }

  @Test("ACL user with password")
  func aclUser() async throws {
    try await withBroker(
      ["--user", "default", "off", "--user", "alice", "on", ">s3cret", "~*", "&*", "+@all"],
      userInfo: "alice:s3cret@"
    ) { fixture in
      let message = TaskMessage(name: "tasks.add", args: [1, 1])
      try fixture.broker.publish([message])
      let batch = try fixture.broker.claim(from: ["celery"], limit: 1, consumer: worker)
      try fixture.broker.commit(
        results: [TaskResultRecord(taskID: message.id, state: .success, result: 2)],
        expiresIn: .seconds(60), acknowledging: batch.deliveries.map(\.tag))
      #expect(try fixture.backend.waitForResult(message.id, timeout: .seconds(5))?.result == 2)
      #expect(!fixture.broker.redactedURL.contains("s3cret"))
    }
    let server = try RedisTestServer(extraArguments: ["--requirepass", "right"])
    try await server.start()
    defer { server.stop() }
    let wrong = try RedisBroker(url: server.url(userInfo: ":wrong@", suffix: "/0"))
    defer { wrong.close() }
    #expect(throws: CeleriacError.self) { try wrong.depths(of: ["celery"]) }
  }
}

extension RedisBrokerTests {
  @Test("rediss:// with a CA file: publish, claim, commit, wait for the result over TLS")
  func tls() async throws {
    let certificates = try TestCertificates()
    defer { certificates.remove() }
    let server = try RedisTestServer(
      tls: (certificates.serverCertificate, certificates.serverKey, certificates.caCertificate))
    try await server.start()
    defer { server.stop() }
    let base = "rediss://localhost:\(server.tlsPort!)"
    let query = "?ssl_ca_certs=\(certificates.caCertificate)"
    let broker = try RedisBroker(url: base + "/0" + query, resultDatabase: 1)
    let backend = try RedisResultBackend(url: base + "/1" + query)
    defer {
      broker.close()
      backend.close()
    }
    #expect(broker.sharesStorage(with: backend))
    let message = TaskMessage(name: "tasks.add", args: [20, 22])
    try broker.publish([message])
    let batch = try broker.claim(from: ["celery"], limit: 1, consumer: worker)
    #expect(
      batch.deliveries.map(\.message)
        == [message].map { message in
          var copy = message
          copy.rootID = message.id
          return copy
        })
    try broker.commit(
      results: [TaskResultRecord(taskID: message.id, state: .success, result: 42)],
      expiresIn: .seconds(60), acknowledging: batch.deliveries.map(\.tag))
    #expect(try backend.waitForResult(message.id, timeout: .seconds(5))?.result == 42)
  }
}

extension RedisBrokerTests {
  @Test("A claim whose reply is lost: the orphaned message goes back to the queue at once")
  func lostClaimReply() async throws {
    try await withBroker(["--enable-debug-command", "yes"]) { fixture in
      let impatient = try RedisBroker(
        url: RedisURL(fixture.server.url(suffix: "/0")),
        options: RedisConnectionOptions(commandTimeout: .milliseconds(100)))
      defer { impatient.close() }
      let message = TaskMessage(name: "tasks.noop")
      try impatient.publish([message])
      _ = try impatient.depths(of: ["celery"])  // scripts loaded, connection open
      _ = try impatient.claim(from: ["none"], limit: 1, consumer: worker)
      // Keep the server busy past the client's timeout: the claim runs after the client gave up.
      let sleeper = Thread {
        let client = try? RedisClient(fixture.server.url())
        _ = try? client?.sendSync(["DEBUG", "SLEEP", "0.4"])
        client?.shutdownSync()
      }
      sleeper.start()
      usleep(50_000)
      #expect(throws: CeleriacError.self) {
        try impatient.claim(from: ["celery"], limit: 1, consumer: worker)
      }
      let processing = RedisKeys.processing(worker.id)
      #expect(try await waitUntil { try fixture.redis(["LLEN", processing]).int == 1 })
      #expect(try fixture.redis(["LLEN", "celery"]).int == 0)
      // The next claim first returns what it does not know, then claims it properly.
      let batch = try impatient.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(batch.deliveries.map(\.message.id) == [message.id])
      #expect(batch.deliveries.first?.redeliveries == 0)
      #expect(try fixture.redis(["LLEN", processing]).int == 1)
      try impatient.acknowledge(batch.deliveries.map(\.tag))
      #expect(try fixture.redis(["LLEN", processing]).int == 0)
    }
  }
}

extension BrokerFixture {
  /// A client on the backend's database.
  func backendClient() throws -> RedisClient {
    try RedisClient(server.url(suffix: "/1"))
  }
}
