import ArgumentParser
import Celeriac
import Foundation

/// `celeriac group "tasks.add 1 2" "tasks.add 3 4" … [--wait]`.
struct GroupCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "group",
    abstract: "Send a group; print its id and the members' ids, or with --wait their values.",
    discussion: "Each member is a task name and its arguments in one word (quote it).")

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The members, e.g. \"tasks.add 1 2\" \"tasks.add 3 4\".") var members: [String]
  @OptionGroup var priority: CanvasPriorityOption
  @Flag(help: "Wait for every member and print their values as a JSON list, in order.")
  var wait = false
  @OptionGroup var timeout: CanvasTimeoutOption

  func validate() throws {
    guard !members.isEmpty else { throw ValidationError("a group needs at least one task") }
  }

  func run() throws {
    let app = CeleriacCommandLine.app
    let open = try connection.connect(app)
    let signatures = try members.map { try CanvasStep.signature($0, priority: priority.priority) }
    let group = try CanvasStep.wait { try await app.group(signatures) }
    guard wait else {
      print(([group.id] + group.results.map(\.id)).joined(separator: "\n"))
      return
    }
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(fractional: timeout.timeout)
    var values: [JSONValue] = []
    for member in group.results {
      let left = max(deadline - clock.now, .milliseconds(1))
      let record = try open.backend.waitForResult(member.id, timeout: left)
      guard let record, record.state == .success else {
        try ResultPrinter.printValue(of: record, taskID: member.id, timeout: timeout.timeout)
        return
      }
      values.append(record.result ?? .null)
    }
    print(JSONValue.array(values).compactDescription)
  }
}
