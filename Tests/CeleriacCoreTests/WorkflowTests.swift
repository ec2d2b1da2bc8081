import CeleriacCore
import Foundation
import Testing

@Suite("Workflow follow-ups (Celery's chain, link and link_error)")
struct WorkflowTests {
  static func step(
    _ task: String, _ args: [JSONValue], id: String, immutable: Bool = false,
    options: [String: JSONValue] = [:]
  ) -> JSONValue {
    var allOptions = options
    allOptions["task_id"] = .string(id)
    return .object([
      "task": .string(task), "args": .array(args), "kwargs": [:], "options": .object(allOptions),
      "subtask_type": .null, "immutable": .bool(immutable),
    ])
  }

  @Test("A chain's next step gets the result first and carries the rest of the chain")
  func chainNextStep() throws {
    // chain(add(1, 2), add(3), add(4)): the embed lists the steps last-first.
    let workflow = TaskWorkflow(
      chain: [Self.step("tasks.add", [4], id: "third"), Self.step("tasks.add", [3], id: "second")])
    let first = TaskMessage(
      id: "first", name: "tasks.add", args: [1, 2], rootID: "first", workflow: workflow)
    let next = try WorkflowFollowUps.afterSuccess(
      of: first, result: 3, defaultQueue: { _ in "celery" })
    #expect(next.count == 1)
    #expect(next[0].id == "second" && next[0].args == [3, 3])
    #expect(next[0].parentID == "first" && next[0].rootID == "first")
    #expect(next[0].workflow?.chain == [Self.step("tasks.add", [4], id: "third")])
    let last = try WorkflowFollowUps.afterSuccess(
      of: next[0], result: 6, defaultQueue: { _ in "celery" })
    #expect(last.map(\.args) == [[6, 4]] && last[0].workflow == nil)
    #expect(last[0].rootID == "first")
  }

  @Test("Immutable signatures ignore the result; options route and limit the step")
  func immutableAndOptions() throws {
    let callback = Self.step(
      "tasks.report", [7], id: "cb", immutable: true,
      options: ["queue": "reports", "countdown": 5, "time_limit": 30])
    let message = TaskMessage(
      name: "tasks.add", workflow: TaskWorkflow(callbacks: [callback]))
    let now = Date(timeIntervalSince1970: 1_000)
    let signature = try TaskSignature(callback)
    let built = try signature.message(
      parentResult: 99, parent: message, chain: nil, defaultQueue: "celery", now: now)
    #expect(built.args == [7] && built.queue == "reports")
    #expect(built.eta == Date(timeIntervalSince1970: 1_005) && built.timeLimit.hard == 30)
  }

  @Test("Errbacks are called with the failed task's id")
  func errbackGetsTaskID() throws {
    let message = TaskMessage(
      id: "failed", name: "tasks.fail",
      workflow: TaskWorkflow(errbacks: [Self.step("tasks.cleanup", [], id: "eb")]))
    let next = try WorkflowFollowUps.afterFailure(of: message, defaultQueue: { _ in "celery" })
    #expect(next.map(\.args) == [["failed"]] && next[0].id == "eb")
  }

  @Test(
    "Unsupported or malformed parts are named, never dropped",
    arguments: [
      (TaskWorkflow(chord: .object(["task": "tasks.xsum"])), "chord"),
      (TaskWorkflow(callbacks: [.object(["task": "g", "subtask_type": "group"])]), "group"),
      (TaskWorkflow(chain: [.string("not a signature")]), "not an object"),
      (TaskWorkflow(errbacks: [.object(["args": []])]), "names no task"),
      (TaskWorkflow(chain: [.object(["task": "t", "args": "x"])]), "args is not a list"),
    ])
  func unsupported(_ workflow: TaskWorkflow, _ reason: String) {
    #expect(workflow.unsupportedReason?.contains(reason) == true, "\(workflow)")
  }

  @Test("A step with an out-of-range option fails to build with a reason")
  func badStepOption() {
    let message = TaskMessage(
      name: "tasks.add",
      workflow: TaskWorkflow(
        chain: [Self.step("tasks.add", [1], id: "x", options: ["countdown": 1e20])]))
    #expect(throws: CeleriacError.self) {
      _ = try WorkflowFollowUps.afterSuccess(of: message, result: 1, defaultQueue: { _ in "q" })
    }
  }

  @Test("Messages without a workflow still decode from stored JSON, and round-trip with one")
  func codable() throws {
    let plain = try JSONCoding.decode(
      TaskMessage.self,
      from: #"{"id":"a","name":"t","args":[],"kwargs":{},"queue":"celery","retries":0,"#
        + #""timeLimit":{},"options":{"acksLate":false,"rejectOnWorkerLost":false,"#
        + #""ignoreResult":false,"maxRedeliveries":3}}"#)
    #expect(plain.workflow == nil)
    var message = TaskMessage(name: "t")
    message.workflow = TaskWorkflow(chain: [Self.step("tasks.add", [1], id: "n")])
    let decoded = try JSONCoding.decode(TaskMessage.self, from: JSONCoding.encodeString(message))
    #expect(decoded == message)
  }

  /// A link `depth` levels deep (a link of a link …) whose innermost signature has `id`.
  static func nestedLink(_ depth: Int, innermost id: String) -> JSONValue {
    (0..<depth).reduce(step("tasks.add", [], id: id)) { inner, level in
      step("tasks.add", [], id: "level-\(level)", options: ["link": [inner]])
    }
  }

  @Test(
    "A workflow that refers to its own task is named; others are not",
    arguments: [
      (TaskWorkflow(callbacks: [step("tasks.add", [], id: "me")]), true),
      (TaskWorkflow(errbacks: [step("tasks.add", [], id: "me")]), true),
      (
        TaskWorkflow(chain: [step("tasks.add", [], id: "a"), step("tasks.add", [], id: "me")]), true
      ),
      (TaskWorkflow(chord: step("tasks.xsum", [], id: "me")), true),
      (TaskWorkflow(callbacks: [nestedLink(10, innermost: "me")]), true),
      (TaskWorkflow(callbacks: [step("tasks.add", [], id: "other")]), false),
      (TaskWorkflow(chain: [step("tasks.add", [], id: "a"), "not a signature"]), false),
      // Deeper than the inspected depth: not looked at, and no trap.
      (
        TaskWorkflow(callbacks: [
          nestedLink(TaskWorkflow.maximumInspectedDepth + 5, innermost: "me")
        ]), false
      ),
    ])
  func selfReference(workflow: TaskWorkflow, refers: Bool) {
    let reason = workflow.selfReference(taskID: "me")
    #expect((reason != nil) == refers, "\(String(describing: reason))")
    if let reason { #expect(reason.contains("refers to its own task")) }
  }
}
