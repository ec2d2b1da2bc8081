import ArgumentParser
import Celeriac
import Foundation

/// `celeriac chain "tasks.add 1 2" "tasks.add 3" … [--wait]`.
struct ChainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "chain",
    abstract: "Send a chain; print the last step's id, or with --wait its value.",
    discussion:
      "Each step is a task name and its arguments in one word (quote it). A step receives the previous step's value as its first argument."
  )

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The steps, e.g. \"tasks.add 1 2\" \"tasks.add 3\".") var steps: [String]
  @OptionGroup var priority: CanvasPriorityOption
  @Flag(help: "Wait for the last step and print its value.") var wait = false
  @OptionGroup var timeout: CanvasTimeoutOption

  func validate() throws {
    guard !steps.isEmpty else { throw ValidationError("a chain needs at least one step") }
  }

  func run() throws {
    let app = CeleriacCommandLine.app
    let open = try connection.connect(app)
    let signatures = try steps.map { try CanvasStep.signature($0, priority: priority.priority) }
    let last = try CanvasStep.wait { try await app.chain(signatures) }
    guard wait else {
      print(last.id)
      return
    }
    let record = try open.backend.waitForResult(
      last.id, timeout: .seconds(fractional: timeout.timeout))
    try ResultPrinter.printValue(of: record, taskID: last.id, timeout: timeout.timeout)
  }
}
