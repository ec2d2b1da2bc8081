import CeleriacCore
import Testing

private struct Resize: TaskDefinition {
  static let name = "images.resize"
  static let parameters = ["path", "width", "height"]
  struct Arguments: Codable, Sendable, Equatable {
    var path: String
    var width: Int
    var height: Int
    var quality: Double?
  }
  func run(_ arguments: Arguments, context: TaskContext) async throws -> String {
    "\(arguments.path)@\(arguments.width)x\(arguments.height)"
  }
}

private struct NoParameters: TaskDefinition {
  static let name = "tasks.ping"
  struct Arguments: Codable, Sendable {}
  func run(_ arguments: Arguments, context: TaskContext) async throws -> String { "pong" }
}

/// Decodes and returns the `TypeError` message, failing the test if decoding succeeds.
private func typeErrorMessage<Definition: TaskDefinition>(
  _ definition: Definition.Type, args: [JSONValue], kwargs: [String: JSONValue] = [:],
  sourceLocation: SourceLocation = #_sourceLocation
) -> String {
  do {
    _ = try Definition.decodeArguments(args: args, kwargs: kwargs)
    Issue.record("decoding succeeded", sourceLocation: sourceLocation)
    return ""
  } catch let failure as TaskFailure {
    #expect(failure.type == "TypeError", sourceLocation: sourceLocation)
    #expect(failure.module == "builtins", sourceLocation: sourceLocation)
    return failure.message
  } catch {
    Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    return ""
  }
}

@Suite("TaskDefinition.decodeArguments")
struct TaskDefinitionTests {
  @Test("positional arguments are matched to parameters in order")
  func positional() throws {
    let arguments = try Resize.decodeArguments(args: ["a.png", 640, 480], kwargs: [:])
    #expect(arguments == Resize.Arguments(path: "a.png", width: 640, height: 480))
  }

  @Test("keyword arguments are merged with positional ones")
  func kwargsMerge() throws {
    let arguments = try Resize.decodeArguments(
      args: ["a.png"], kwargs: ["height": 480, "width": 640, "quality": 0.8])
    #expect(arguments == Resize.Arguments(path: "a.png", width: 640, height: 480, quality: 0.8))
  }

  @Test("keyword arguments alone are enough")
  func kwargsOnly() throws {
    let arguments = try Resize.decodeArguments(
      args: [], kwargs: ["path": "b.png", "width": 1, "height": 2])
    #expect(arguments == Resize.Arguments(path: "b.png", width: 1, height: 2))
  }

  @Test("a whole double is accepted for an Int parameter")
  func wholeDoubleForInt() throws {
    let arguments = try Resize.decodeArguments(args: ["a.png", 640.0, 480], kwargs: [:])
    #expect(arguments.width == 640)
  }

  @Test("too many positional arguments: Python's TypeError message")
  func tooManyPositional() {
    let message = typeErrorMessage(Resize.self, args: ["a.png", 1, 2, 3])
    #expect(message == "images.resize() takes 3 positional arguments but 4 were given")
    #expect(
      typeErrorMessage(NoParameters.self, args: [1])
        == "tasks.ping() takes 0 positional arguments but 1 were given")
  }

  @Test("an argument given positionally and by keyword is named")
  func duplicateValue() {
    let message = typeErrorMessage(Resize.self, args: ["a.png", 1], kwargs: ["width": 2])
    #expect(message == "images.resize() got multiple values for argument 'width'")
  }

  @Test("a missing argument is named")
  func missingArgument() {
    let message = typeErrorMessage(Resize.self, args: ["a.png", 1])
    #expect(message == "images.resize(): missing argument 'height'")
  }

  @Test("an argument of the wrong type is named")
  func wrongType() {
    let message = typeErrorMessage(Resize.self, args: ["a.png", "wide", 2])
    #expect(message.hasPrefix("images.resize(): argument 'width' is not Int"), "\(message)")
    let text = typeErrorMessage(Resize.self, args: [42, 1, 2])
    #expect(text.hasPrefix("images.resize(): argument 'path' is not String"), "\(text)")
  }

  @Test("a fractional number for an Int argument is a TypeError that says the types do not fit")
  func fractionForInt() {
    // Foundation gives no coding path for a number that does not fit, so the argument cannot
    // be named; the message must still not blame the JSON.
    let message = typeErrorMessage(Resize.self, args: ["a.png", 1.5, 2])
    #expect(message.contains("do not fit the parameter types"), "\(message)")
    #expect(!message.contains("not valid JSON"), "\(message)")
  }

  @Test("null for a required argument is named")
  func nullArgument() {
    let message = typeErrorMessage(Resize.self, args: ["a.png", nil, 2])
    #expect(message.hasPrefix("images.resize(): argument 'width'"), "\(message)")
  }

  @Test("unknown keyword arguments are ignored (not a TypeError as in Python)")
  func unknownKeywordIgnored() throws {
    let arguments = try Resize.decodeArguments(
      args: ["a.png", 1, 2], kwargs: ["colour": "red"])
    #expect(arguments == Resize.Arguments(path: "a.png", width: 1, height: 2))
  }

  @Test("a registered definition decodes, runs and encodes through the registry")
  func registryHandler() async throws {
    var registry = TaskRegistry()
    registry.register(Resize())
    registry.register(NoParameters())
    #expect(registry.names == ["images.resize", "tasks.ping"])
    let task = try #require(registry["images.resize"])
    let context = TaskContext(
      taskID: "t", name: task.name, retries: 0, queue: "celery", progressSink: { _, _ in })
    let value = try await task.handler(["a.png"], ["width": 3, "height": 4], context)
    #expect(value == "a.png@3x4")
    await #expect(throws: TaskFailure.self) {
      try await task.handler([], [:], context)
    }
    #expect(registry["missing"] == nil)
  }
}
