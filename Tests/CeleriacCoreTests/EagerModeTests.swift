import Celeriac
import Foundation
import Synchronization
import Testing

private struct Add: TaskDefinition {
  static let name = "tasks.add"
  static let parameters = ["x", "y"]
  struct Arguments: Codable, Sendable {
    var x: Int
    var y: Int
  }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> Int {
    arguments.x + arguments.y
  }
}

private struct Boom: Error, CustomStringConvertible {
  var description: String { "boom" }
}

private func eagerApp() -> CeleriacApp {
  // A broker URL nothing could open: eager sends must never touch it.
  let app = CeleriacApp(
    configuration: CeleriacConfiguration(brokerURL: "nowhere://broker", alwaysEager: true))
  app.register(Add())
  return app
}

@Suite("Eager mode")
struct EagerModeTests {
  @Test("send runs the task at once; get() returns its value")
  func sendAndGet() async throws {
    let app = eagerApp()
    let result = try await app.send("tasks.add", args: [2, 3])
    #expect(try await result.state() == .success)
    #expect(try await result.get() == 5)
    #expect(try await result.get(as: Int.self) == 5)
    let record = try #require(try await result.record())
    #expect(record.name == "tasks.add")
    #expect(record.taskID == result.id)
  }

  @Test("typed send encodes the arguments as kwargs")
  func typedSend() async throws {
    let app = eagerApp()
    let result = try await app.send(Add.self, Add.Arguments(x: 40, y: 2))
    #expect(try await result.get() == 42)
  }

  @Test("a closure task receives args and kwargs; the handle is found again by id")
  func closureTask() async throws {
    let app = eagerApp()
    app.register("tasks.echo") { args, kwargs, context in
      ["args": .array(args), "kwargs": .object(kwargs), "queue": .string(context.queue)]
    }
    let result = try await app.send(
      "tasks.echo", args: [1, "a"], kwargs: ["k": nil],
      options: SendOptions(queue: "other", taskID: "fixed-id"))
    #expect(result.id == "fixed-id")
    let expected: JSONValue = ["args": [1, "a"], "kwargs": ["k": nil], "queue": "other"]
    #expect(try await result.get() == expected)
    #expect(try await app.result(for: "fixed-id").get() == expected)
  }

  @Test("a failing task's error is thrown from send as a TaskFailure and stored")
  func failureThrownFromSend() async throws {
    let app = eagerApp()
    app.register("tasks.fail") { _, _, _ in
      throw TaskFailure(type: "ValueError", message: "nope")
    }
    app.register("tasks.boom") { _, _, _ in throw Boom() }
    await #expect(throws: TaskFailure(type: "ValueError", message: "nope")) {
      try await app.send("tasks.fail", options: SendOptions(taskID: "f1"))
    }
    let stored = try #require(try await app.result(for: "f1").record())
    #expect(stored.state == .failure)
    #expect(stored.failure == TaskFailure(type: "ValueError", message: "nope"))
    await #expect(throws: TaskFailure(type: "ValueError", message: "nope")) {
      try await app.result(for: "f1").get()
    }
    await #expect(throws: TaskFailure(type: "Boom", message: "boom", module: "celeriac")) {
      try await app.send("tasks.boom")
    }
  }

  @Test("bad arguments fail with TypeError from send")
  func badArguments() async throws {
    let app = eagerApp()
    await #expect {
      try await app.send("tasks.add", args: [1, 2, 3])
    } throws: { error in
      (error as? TaskFailure)?.type == "TypeError"
    }
  }

  @Test("an unknown task throws NotRegistered naming it")
  func notRegistered() async throws {
    let app = eagerApp()
    let error = await #expect(throws: TaskFailure.self) {
      try await app.send("tasks.missing", options: SendOptions(taskID: "m1"))
    }
    #expect(error?.type == "NotRegistered")
    #expect(error?.module == "celery.exceptions")
    #expect(error?.message.contains("tasks.missing") == true)
    #expect(try await app.result(for: "m1").state() == .failure)
  }

  @Test("progress reports are visible while the task runs, then replaced by SUCCESS")
  func progressVisible() async throws {
    let app = eagerApp()
    let seen = Mutex<[TaskResultRecord]>([])
    app.register("tasks.steps") { _, _, context in
      for step in 1...3 {
        context.reportProgress(["current": .int(Int64(step)), "total": 3])
        if let record = try await app.result(for: context.taskID).record() {
          seen.withLock { $0.append(record) }
        }
      }
      context.reportProgress(["phase": "upload"], state: TaskState(rawValue: "UPLOADING"))
      let state = try await app.result(for: context.taskID).state()
      return .string(state.rawValue)
    }
    let result = try await app.send("tasks.steps")
    #expect(try await result.get() == "UPLOADING")
    let records = seen.withLock { $0 }
    #expect(records.map(\.state) == [.progress, .progress, .progress])
    #expect(records.map(\.result) == [1, 2, 3].map { ["current": .int($0), "total": 3] })
    #expect(try await result.state() == .success)
  }

  @Test("eager mode ignores idempotency keys: a second send runs the task again")
  func idempotencyKeyIgnored() async throws {
    let app = eagerApp()
    let runs = Mutex(0)
    app.register("tasks.count") { _, _, _ in
      .int(
        Int64(
          runs.withLock { count in
            count += 1
            return count
          }))
    }
    let options = SendOptions(idempotencyKey: "same-key")
    let first = try await app.send("tasks.count", options: options)
    let second = try await app.send("tasks.count", options: options)
    #expect(runs.withLock { $0 } == 2)
    #expect(first.id != second.id)
    #expect(try await first.get() == 1)
    #expect(try await second.get() == 2)
  }

  @Test("a RetryRequest is not retried in eager mode: it is stored as a failure")
  func retryRequestNotRetried() async throws {
    let app = eagerApp()
    app.register("tasks.retry") { _, _, _ in throw RetryRequest(reason: "later") }
    let error = await #expect(throws: TaskFailure.self) {
      try await app.send("tasks.retry")
    }
    #expect(error?.type == "RetryRequest")
  }

  @Test("makeMessage applies the task's defaults and the send options")
  func makeMessage() throws {
    let app = eagerApp()
    app.register(
      "tasks.slow",
      defaults: TaskDefaults(
        queue: "slow", options: TaskOptions(acksLate: true), timeLimit: TimeLimits(soft: 5))
    ) { _, _, _ in nil }
    let message = app.makeMessage("tasks.slow", args: [1])
    #expect(message.queue == "slow")
    #expect(message.options.acksLate)
    #expect(message.timeLimit == TimeLimits(soft: 5))
    #expect(message.rootID == message.id)
    #expect(message.eta == nil)
    let before = Date()
    let overridden = app.makeMessage(
      "tasks.slow",
      options: SendOptions(queue: "fast", countdown: .seconds(60), taskID: "id-1"))
    #expect(overridden.queue == "fast")
    #expect(overridden.id == "id-1")
    let eta = try #require(overridden.eta)
    #expect(eta.timeIntervalSince(before) >= 60)
    #expect(eta <= Date().addingTimeInterval(60))
    #expect(app.makeMessage("unknown").queue == "celery")
  }
}
