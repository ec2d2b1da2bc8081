import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A canvas that cannot be sent, and what it is refused with.
struct BadCanvas: Sendable, CustomStringConvertible {
  let description: String
  let code: CanvasError.Code
  let send: @Sendable (CeleriacApp) async throws -> Void

  static func add(_ x: Int64, id: String? = nil, links: [Signature] = []) -> Signature {
    Signature("tasks.add", args: [.int(x)], options: SendOptions(taskID: id), links: links)
  }

  /// A link of a link … `depth` deep.
  static func nested(_ depth: Int) -> Signature {
    (0..<depth).reduce(add(0)) { inner, _ in add(0, links: [inner]) }
  }

  static let all: [BadCanvas] = [
    BadCanvas(description: "empty chain", code: .empty) { _ = try await $0.chain([]) },
    BadCanvas(description: "empty group", code: .empty) { _ = try await $0.group([]) },
    BadCanvas(description: "chord with an empty header", code: .emptyChordHeader) {
      _ = try await $0.chord([], body: Signature("tasks.xsum"))
    },
    BadCanvas(description: "chain step naming no task", code: .noTaskName) {
      _ = try await $0.chain([add(1), Signature("")])
    },
    BadCanvas(description: "chord body naming no task", code: .noTaskName) {
      _ = try await $0.chord([add(1)], body: Signature(""))
    },
    BadCanvas(description: "link naming no task", code: .noTaskName) {
      _ = try await $0.group([add(1, links: [Signature("")])])
    },
    BadCanvas(description: "priority out of range", code: .invalidOption) {
      _ = try await $0.group([Signature("tasks.add", options: SendOptions(priority: 99))])
    },
    BadCanvas(description: "empty task id", code: .invalidOption) {
      _ = try await $0.chain([add(1, id: "")])
    },
    BadCanvas(description: "chain step that is an earlier step", code: .cycle) {
      _ = try await $0.chain([add(1, id: "step-1"), add(2), add(3, id: "step-1")])
    },
    BadCanvas(description: "chord body that is a header task", code: .cycle) {
      _ = try await $0.chord([add(1), add(2, id: "part-2")], body: add(0, id: "part-2"))
    },
    BadCanvas(description: "task linked to itself", code: .cycle) {
      _ = try await $0.chain([add(1, id: "self", links: [add(2, id: "self")])])
    },
    BadCanvas(description: "errback deep in a link that is the chain's first step", code: .cycle) {
      let errback = Signature("tasks.add", options: SendOptions(taskID: "first"))
      let link = Signature("tasks.add", links: [Signature("tasks.add", errorLinks: [errback])])
      _ = try await $0.chain([add(1, id: "first"), Signature("tasks.add", links: [link])])
    },
    BadCanvas(description: "group members sharing an id", code: .cycle) {
      _ = try await $0.group([add(1, id: "twin"), add(2, id: "twin")])
    },
    BadCanvas(description: "links nested too deep", code: .tooDeep) {
      _ = try await $0.chain([nested(CanvasError.maximumDepth + 1)])
    },
  ]
}

/// Bad canvases are refused before anything is sent, with a code naming why; a worker refuses
/// a message whose workflow refers to the task itself.
@Suite("Canvas validation", .serialized, .machineSlot)
struct CanvasValidationTests {
  @Test("refused before anything is sent", arguments: BadCanvas.all)
  func refused(_ canvas: BadCanvas) async throws {
    let sandbox = try Sandbox()
    let app = CeleriacApp(configuration: CeleriacConfiguration(brokerURL: sandbox.brokerURL))
    do {
      try await canvas.send(app)
      Issue.record("\(canvas) was sent")
    } catch let error as CanvasError {
      #expect(error.code == canvas.code, "\(error)")
      #expect(!error.message.isEmpty && !error.message.contains("\n"))
    }
    #expect(try sandbox.connection().broker.depths(of: ["celery"])["celery"] == 0)
  }

  @Test("nested links up to the limit are sent, and links run", arguments: BrokerKind.allCases)
  func linksRun(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let worker = try await broker.worker(["-c", "2"])
    let app = CeleriacApp(configuration: broker.configuration)
    let linked = BadCanvas.add(10, id: "link-\(kind)")
    let failed = Signature(
      "tasks.fail", args: ["boom"], errorLinks: [BadCanvas.add(5, id: "errback-\(kind)")])
    let first = Signature("tasks.add", args: [1, 2], links: [linked])
    let last = try await app.chain([first, BadCanvas.add(2)])
    #expect(try await last.get(timeout: .seconds(30)) == 5)
    // A link gets the value first, as the next step does: tasks.add(3, 10).
    #expect(try await app.result(for: "link-\(kind)").get(timeout: .seconds(30)) == 13)
    _ = try await app.group([failed])
    // An errback gets the failed task's id first: tasks.add(id, 5) fails with a TypeError.
    #expect(
      try await waitUntil(timeout: .seconds(30)) {
        (try broker.connection().backend.result(for: "errback-\(kind)")) != nil
      })
    _ = try await app.chain([BadCanvas.nested(CanvasError.maximumDepth)])
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }

  @Test("a worker refuses a message whose link is the task itself", arguments: BrokerKind.allCases)
  func workerRefusesSelfReference(kind: BrokerKind) async throws {
    let broker = try await BrokerUnderTest(kind)
    let worker = try await broker.worker(["-c", "1"])
    let app = CeleriacApp(configuration: broker.configuration)
    var message = TaskMessage(name: "tasks.add", args: [1, 2])
    let itself: JSONValue = [
      "task": "tasks.add", "args": [1], "kwargs": [:], "immutable": false, "subtask_type": nil,
      "options": ["task_id": .string(message.id)],
    ]
    message.workflow = TaskWorkflow(callbacks: [
      [
        "task": "tasks.add", "args": [], "kwargs": [:], "immutable": false, "subtask_type": nil,
        "options": ["link": [itself]],
      ]
    ])
    try broker.connection().broker.publish([message])
    do {
      _ = try await app.result(for: message.id).get(timeout: .seconds(30))
      Issue.record("a task linked to itself ran")
    } catch let failure as TaskFailure {
      #expect(failure.type == "ValueError" && failure.message.contains("refers to its own task"))
    }
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
  }
}
