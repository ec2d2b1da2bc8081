import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Task ids in the order `tasks.record` wrote them.
func recordedOrder(_ path: String) -> [String] {
  let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
  return text.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
}

/// Priorities (0 to 9, lower first, Celery's meaning on Redis) on both brokers, from Swift, the
/// command line and a Python Celery producer, consumed by a real worker.
@Suite("Priorities", .serialized, .machineSlot)
struct PriorityTests {
  /// Messages of `tasks.record` appending to `path`, one per priority in `priorities`.
  static func records(_ priorities: [Int?], path: String) -> [TaskMessage] {
    priorities.map {
      TaskMessage(name: "tasks.record", args: [.string(path)], priority: $0)
    }
  }

  @Test("A backlog is taken by priority, FIFO within one priority", arguments: BrokerKind.allCases)
  func backlogOrder(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let path = broker.directory + "/order.txt"
    // Sent round-robin 9, 6, 3, 0, four times: expected all 0s, then 3s, 6s, 9s, each group
    // in the order sent. Celery's default (no priority) is 0.
    let levels: [Int?] = (0..<4).flatMap { _ in [9, 6, 3, nil] }
    let messages = Self.records(levels, path: path)
    try broker.connection().broker.publish(messages)
    if let redis = broker.redis {
      // kombu's lists: `celery` and `celery\x06\x16<step>`, as a Python producer writes them.
      #expect(try redis.server.command(["LLEN", "celery"]) == "4")
      #expect(try redis.server.command(["LLEN", "celery\u{06}\u{16}6"]) == "4")
      #expect(try redis.server.command(["LLEN", "celery\u{06}\u{16}9"]) == "4")
    }
    // The command line's --priority: sent last, it runs last of the priority-3 tasks.
    let sent = try broker.run(["send", "tasks.record", path, "--priority", "3"])
    #expect(sent.status == 0, "\(sent.stderr)")
    let fromCommandLine = sent.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let worker = try await broker.worker(["-c", "1", "--prefetch-multiplier", "0"])
    #expect(
      try await waitUntil(timeout: .seconds(20)) { recordedOrder(path).count == messages.count + 1 }
    )
    var expected: [String] = []
    for level in [nil, 3, 6, 9] as [Int?] {
      expected += zip(levels, messages).filter { $0.0 == level }.map { $0.1.id }
      if level == 3 { expected.append(fromCommandLine) }
    }
    #expect(recordedOrder(path) == expected)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test(
    "A priority-0 task sent while a backlog runs overtakes it", arguments: BrokerKind.allCases)
  func overtakesRunningBacklog(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let path = broker.directory + "/order.txt"
    let backlog = (0..<20).map { _ in
      TaskMessage(
        name: "tasks.record", args: [.string(path), .double(0.05)], priority: 6)
    }
    let connection = try broker.connection()
    try connection.broker.publish(backlog)
    let worker = try await broker.worker(["-c", "1", "--prefetch-multiplier", "0"])
    #expect(try await waitUntil(timeout: .seconds(20)) { !recordedOrder(path).isEmpty })
    let urgent = TaskMessage(name: "tasks.record", args: [.string(path)], priority: 0)
    try connection.broker.publish([urgent])
    // An upper bound of what had started when it was published.
    let before = recordedOrder(path).count
    let urgentID = urgent.id
    #expect(try await waitUntil(timeout: .seconds(20)) { recordedOrder(path).count == 21 })
    let order = recordedOrder(path)
    let position = order.firstIndex(of: urgentID) ?? order.count
    // Only the backlog tasks started before it was sent, and at most one claimed in that
    // instant, ran before it (one child, no reserve).
    #expect(position <= before + 1 && position < 20, "position \(position), before \(before)")
    // The backlog itself kept its order.
    #expect(order.filter { $0 != urgentID } == backlog.map(\.id))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("Priorities out of range are refused before anything is sent")
  func outOfRange() async throws {
    let broker = try await BrokerUnderTest(.sqlite)
    for bad in [-1, 10, 99, Int.max] {
      let sent = try broker.run(["send", "tasks.add", "1", "2", "--priority=\(bad)"])
      #expect(sent.status != 0 && sent.stderr.contains("priority must be from 0 to 9"))
      #expect(throws: CeleriacError.self) {
        try broker.connection().broker.publish([
          TaskMessage(name: "tasks.add", args: [1, 2], priority: bad)
        ])
      }
    }
    let app = CeleriacApp(configuration: broker.configuration)
    await #expect(throws: CeleriacError.self) {
      try await app.send("tasks.add", args: [1, 2], options: SendOptions(priority: 42))
    }
    #expect(try broker.connection().broker.depths(of: ["celery"])["celery"] == 0)
  }

  @Test("A Python producer's priorities are consumed in kombu's order by a Celeriac worker")
  func pythonProducerPriorities() async throws {
    try PythonVenv.require()
    let redis = try await RedisSandbox()
    let path = redis.directory + "/order.txt"
    let sent = try runProcess(
      PythonVenv.python,
      [
        PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "priority",
        path,
      ],
      directory: redis.directory)
    #expect(sent.status == 0, "\(sent.stderr)")
    // One line per task sent, in the order sent: its id and priority.
    let tasks = try checks(sent.stdout)["priority"]?["sent"]?.arrayValue ?? []
    #expect(tasks.count == 16, "\(sent.stdout)")
    let worker = try await redis.worker(["-c", "1", "--prefetch-multiplier", "0"])
    #expect(try await waitUntil(timeout: .seconds(20)) { recordedOrder(path).count == tasks.count })
    // kombu's steps: 0-2 in `celery`, 3-5 in `\x06\x163`, … ; FIFO within a step.
    let expected = [0, 3, 6, 9].flatMap { step in
      tasks.compactMap { task -> String? in
        guard case .array(let pair) = task, pair.count == 2,
          let priority = pair[1].intValue.map(Int.init)
        else { return nil }
        return TaskPriority.redisStep(of: TaskPriority.clamped(Int64(priority))) == step
          ? pair[0].stringValue : nil
      }
    }
    #expect(recordedOrder(path) == expected, "\(sent.stdout)")
    let result = try runProcess(
      PythonVenv.python,
      [
        PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "get",
        expected[0],
      ], directory: redis.directory)
    #expect(try checks(result.stdout)["get"]?["value"] == .string(expected[0]))
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }
}
