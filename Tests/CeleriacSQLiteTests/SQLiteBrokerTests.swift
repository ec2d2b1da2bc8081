import CeleriacCore
import CeleriacTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

@testable import CeleriacSQLite

@Suite("SQLite broker")
struct SQLiteBrokerTests {
  let worker = ConsumerIdentity(id: "worker1@test")

  @Test("publish, claim and acknowledge round trip")
  func roundTrip() async throws {
    try await withStore { broker, _, _ in
      let sent = TaskMessage(
        id: "t1", name: "tasks.add", args: [.int(2), .int(3)], kwargs: ["x": .string("y")],
        queue: "celery", expires: Date(timeIntervalSince1970: 2_000_000_000),
        options: TaskOptions(acksLate: true), idempotencyKey: "k")
      try broker.publish([sent])
      let batch = try broker.claim(from: ["celery"], limit: 10, consumer: worker)
      #expect(batch.deadLettered.isEmpty)
      #expect(batch.deliveries.map(\.message) == [sent])
      #expect(batch.deliveries.first?.redeliveries == 0)

      // Claimed: not claimable again, not counted.
      #expect(try broker.claim(from: ["celery"], limit: 10, consumer: worker).deliveries.isEmpty)
      #expect(try broker.depths(of: ["celery"]) == ["celery": 0])

      try broker.acknowledge(batch.deliveries.map(\.tag))
      #expect(try broker.store.rows("SELECT * FROM tasks").isEmpty)
      #expect(try broker.recoverAbandoned() == 0)
    }
  }

  @Test("a queue is served in FIFO order, earlier queues in the list first")
  func fifoAndQueueOrder() async throws {
    try await withStore { broker, _, _ in
      try broker.publish([
        message("low-1", queue: "low"), message("high-1", queue: "high"),
        message("low-2", queue: "low"), message("high-2", queue: "high"),
        message("low-3", queue: "low"),
      ])
      let first = try broker.claim(from: ["high", "low"], limit: 3, consumer: worker)
      #expect(first.deliveries.map(\.message.id) == ["high-1", "high-2", "low-1"])
      let second = try broker.claim(from: ["high", "low"], limit: 3, consumer: worker)
      #expect(second.deliveries.map(\.message.id) == ["low-2", "low-3"])
      #expect(try broker.claim(from: ["other"], limit: 3, consumer: worker).deliveries.isEmpty)
    }
  }

  @Test("separate stores claiming at once never share a task")
  func concurrentClaimersTakeEachTaskOnce() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory + "/shared.db"
      let producer = try SQLiteBroker(path: path)
      let ids = (0..<2_000).map { "task-\($0)" }
      try producer.publish(ids.map { message($0) })

      let claims = Mutex<[String: [String]]>([:])
      let failures = Mutex<[String]>([])
      onThreads(4) { index in
        do {
          // Its own store: its own pool and connections, like another process.
          let broker = try SQLiteBroker(path: path)
          let consumer = ConsumerIdentity(id: "claimer-\(index)")
          var mine: [String] = []
          while true {
            let batch = try broker.claim(from: ["celery"], limit: 1 + index, consumer: consumer)
            if batch.deliveries.isEmpty { break }
            mine += batch.deliveries.map(\.message.id)
            try broker.acknowledge(batch.deliveries.map(\.tag))
          }
          claims.withLock { $0[consumer.id] = mine }
        } catch {
          failures.withLock { $0.append("\(error)") }
        }
      }

      #expect(failures.withLock { $0 } == [])
      let all = claims.withLock { $0 }
      let claimed = all.values.flatMap { $0 }
      #expect(claimed.count == ids.count)
      #expect(Set(claimed) == Set(ids))
      #expect(all.count == 4)
      #expect(try producer.depths(of: ["celery"]) == ["celery": 0])
    }
  }

  @Test("a lease that runs out returns the task with one more redelivery")
  func leaseExpiryRecovery() async throws {
    try await withStore { broker, _, _ in
      try broker.publish([message("t1")])
      let shortLived = ConsumerIdentity(id: "crashed", lease: .milliseconds(50))
      let batch = try broker.claim(from: ["celery"], limit: 1, consumer: shortLived)
      #expect(batch.deliveries.count == 1)

      let recovered = try await waitForValue(timeout: .seconds(5)) {
        let count = try broker.recoverAbandoned()
        return count > 0 ? count : nil
      }
      #expect(recovered == 1)

      let again = try broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(again.deliveries.map(\.message.id) == ["t1"])
      #expect(again.deliveries.first?.redeliveries == 1)
      #expect(again.deliveries.first?.tag == batch.deliveries.first?.tag)
    }
  }

  @Test("renewing a lease moves it forward for every task the consumer holds")
  func renewLease() async throws {
    try await withStore { broker, _, _ in
      try broker.publish([message("a"), message("b"), message("c")])
      let short = ConsumerIdentity(id: "w", lease: .milliseconds(1))
      _ = try broker.claim(from: ["celery"], limit: 2, consumer: short)
      _ = try broker.claim(
        from: ["celery"], limit: 1, consumer: ConsumerIdentity(id: "other", lease: .seconds(1)))

      try broker.renewLease(for: ConsumerIdentity(id: "w", lease: .seconds(3_600)))
      let leases = try broker.store.rows(
        "SELECT consumer, lease_expires FROM tasks ORDER BY id"
      ).map { ($0[0] as String, $0[1] as Double) }
      let now = Date().timeIntervalSince1970
      #expect(leases.map(\.0) == ["w", "w", "other"])
      #expect(leases[0].1 > now + 3_000 && leases[1].1 > now + 3_000)
      #expect(leases[2].1 < now + 2)
    }
  }

  @Test("release returns a task at once, counting a redelivery only when asked")
  func release() async throws {
    try await withStore { broker, _, _ in
      try broker.publish([message("first"), message("second")])
      let one = try broker.claim(from: ["celery"], limit: 1, consumer: worker)
      try broker.release(one.deliveries.map(\.tag), countAsRedelivery: false)
      #expect(try broker.depths(of: ["celery"]) == ["celery": 2])

      let two = try broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(two.deliveries.map(\.message.id) == ["first"])
      #expect(two.deliveries.first?.redeliveries == 0)

      try broker.release(two.deliveries.map(\.tag), countAsRedelivery: true)
      let three = try broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(three.deliveries.map(\.message.id) == ["first"])
      #expect(three.deliveries.first?.redeliveries == 1)
      let row = try broker.store.rows("SELECT consumer, state FROM tasks WHERE task_id = 'first'")
      #expect(row.first?[0] as String? == worker.id)
    }
  }

  @Test("a row that is not a task message goes to dead-letter, reported, never returned")
  func malformedPayload() async throws {
    try await withStore { broker, _, _ in
      try broker.publish([message("good-1")])
      let insert = """
        INSERT INTO tasks (task_id, queue, payload, eta, created) VALUES (?, 'celery', ?, 0, 0)
        """
      try broker.store.execute(insert, ["bad-json", "{not json"])
      try broker.store.execute(insert, ["bad-shape", #"{"id": "bad-shape"}"#])
      try broker.publish([message("good-2")])

      // The bad rows are due earliest (eta 0); the claim still fills its limit with good ones.
      let batch = try broker.claim(from: ["celery"], limit: 2, consumer: worker)
      #expect(batch.deliveries.map(\.message.id) == ["good-1", "good-2"])
      #expect(batch.deadLettered.map(\.taskID) == ["bad-json", "bad-shape"])
      #expect(batch.deadLettered.map(\.payload) == ["{not json", #"{"id": "bad-shape"}"#])
      #expect(batch.deadLettered.allSatisfy { $0.reason.hasPrefix("malformed task message") })
      #expect(batch.deadLettered.allSatisfy { !$0.reason.contains("\n") })
      #expect(batch.deadLettered.last?.reason.contains("name") == true)

      let stored = try broker.deadLetters(limit: 10)
      #expect(stored.map(\.taskID) == ["bad-shape", "bad-json"])
      #expect(stored.map(\.queue) == ["celery", "celery"])
      #expect(try broker.store.rows("SELECT * FROM tasks WHERE task_id LIKE 'bad-%'").isEmpty)
      #expect(try broker.deadLetters(limit: 1).count == 1)
    }
  }

  @Test("dead-lettering a claimed task keeps its message and reason")
  func deadLetterClaimed() async throws {
    try await withStore { broker, _, _ in
      try broker.publish([message("t1")])
      let batch = try broker.claim(from: ["celery"], limit: 1, consumer: worker)
      try broker.deadLetter(batch.deliveries[0].tag, reason: "retries exhausted")
      let entries = try broker.deadLetters(limit: 5)
      #expect(entries.count == 1)
      #expect(entries.first?.taskID == "t1")
      #expect(entries.first?.reason == "retries exhausted")
      let payload = try #require(entries.first?.payload)
      #expect(try JSONCoding.decode(TaskMessage.self, from: payload) == message("t1"))
      #expect(try broker.store.rows("SELECT * FROM tasks").isEmpty)
    }
  }

  @Test("a task with a future ETA is not claimable or counted until it is due")
  func futureETA() async throws {
    try await withStore { broker, _, _ in
      let eta = Date().addingTimeInterval(0.3)
      try broker.publish([
        message("later", eta: eta), message("past", eta: Date().addingTimeInterval(-60)),
      ])
      let now = try broker.claim(from: ["celery"], limit: 10, consumer: worker)
      #expect(now.deliveries.map(\.message.id) == ["past"])
      #expect(try broker.depths(of: ["celery"]) == ["celery": 0])

      let due = try await waitForValue(timeout: .seconds(5)) {
        let batch = try broker.claim(from: ["celery"], limit: 10, consumer: worker)
        return batch.deliveries.isEmpty ? nil : (batch, Date())
      }
      let (batch, claimedAt) = try #require(due)
      #expect(batch.deliveries.map(\.message.id) == ["later"])
      #expect(claimedAt >= eta)
      let claimedETA = try #require(batch.deliveries.first?.message.eta)
      #expect(abs(claimedETA.timeIntervalSince(eta)) < 0.001)
    }
  }

  @Test("depths count queued, due rows per queue, with zeros")
  func depths() async throws {
    try await withStore { broker, _, _ in
      try broker.publish([
        message("a1", queue: "a"), message("a2", queue: "a"), message("a3", queue: "a"),
        message("b1", queue: "b"),
        message("b2", queue: "b", eta: Date().addingTimeInterval(3_600)),
      ])
      _ = try broker.claim(from: ["a"], limit: 1, consumer: worker)
      #expect(try broker.depths(of: ["a", "b", "c"]) == ["a": 2, "b": 1, "c": 0])
      #expect(try broker.depths(of: []) == [:])
    }
  }

  @Test("purge deletes waiting tasks of one queue and leaves claimed ones")
  func purge() async throws {
    try await withStore { broker, _, _ in
      try broker.publish([
        message("a1", queue: "a"), message("a2", queue: "a"),
        message("a3", queue: "a", eta: Date().addingTimeInterval(3_600)),
        message("b1", queue: "b"),
      ])
      let held = try broker.claim(from: ["a"], limit: 1, consumer: worker)
      #expect(try broker.purge("a") == 2)
      #expect(try broker.purge("a") == 0)
      #expect(try broker.depths(of: ["a", "b"]) == ["a": 0, "b": 1])
      try broker.release(held.deliveries.map(\.tag), countAsRedelivery: false)
      #expect(try broker.depths(of: ["a"]) == ["a": 1])
    }
  }

  @Test("a delivery tag is never reused after its row is deleted")
  func tagsAreNotReused() async throws {
    try await withStore { broker, _, _ in
      try broker.publish([message("t1")])
      let first = try broker.claim(from: ["celery"], limit: 1, consumer: worker)
      try broker.acknowledge(first.deliveries.map(\.tag))
      try broker.publish([message("t2")])
      let second = try broker.claim(from: ["celery"], limit: 1, consumer: worker)
      #expect(second.deliveries.first?.tag != first.deliveries.first?.tag)
      // A late acknowledgement of the old tag does not touch the new task.
      try broker.acknowledge(first.deliveries.map(\.tag))
      #expect(try broker.store.rows("SELECT * FROM tasks").count == 1)
      #expect(throws: CeleriacError.self) {
        try broker.acknowledge([DeliveryTag(rawValue: "not-a-row")])
      }
    }
  }

  @Test("claim, depth and lease queries read only the rows they need, through partial indexes")
  func claimUsesIndex() async throws {
    try await withStore { broker, _, _ in
      let plan = try broker.store.rows(
        "EXPLAIN QUERY PLAN " + SQLiteBroker.claimSQL, ["w", 0, "celery", 0, 0, 1]
      ).map { $0["detail"] as String }
      #expect(
        plan.contains {
          $0.contains("SEARCH tasks USING INDEX tasks_priority (queue=? AND priority=? AND eta<?)")
        }, "\(plan)")
      #expect(!plan.contains { $0.contains("TEMP B-TREE") || $0.hasPrefix("SCAN") })
      let depth = try broker.store.rows(
        "EXPLAIN QUERY PLAN " + SQLiteBroker.depthSQL, ["celery", 0]
      ).map { $0["detail"] as String }
      #expect(depth.contains { $0.contains("tasks_due") })
      let leaseQueries: [(String, StatementArguments)] = [
        (SQLiteBroker.renewSQL, [0, "w"]), (SQLiteBroker.recoverSQL, [0]),
      ]
      for (sql, arguments) in leaseQueries {
        let plan = try broker.store.rows("EXPLAIN QUERY PLAN " + sql, arguments)
          .map { $0["detail"] as String }
        #expect(plan.contains { $0.contains("USING INDEX tasks_claimed") }, "\(plan)")
      }
    }
  }

  @Test("a task published through one store is claimed through another")
  func sharedAcrossStores() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory + "/shared.db"
      let producer = try SQLiteBroker(path: path)
      let consumer = try SQLiteBroker(url: "sqlite://" + path)
      try producer.publish((0..<500).map { message("t\($0)") })
      #expect(try consumer.depths(of: ["celery"]) == ["celery": 500])
      let batch = try consumer.claim(from: ["celery"], limit: 500, consumer: worker)
      #expect(batch.deliveries.map(\.message.id) == (0..<500).map { "t\($0)" })
    }
  }
}
