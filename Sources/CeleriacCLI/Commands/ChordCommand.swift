import ArgumentParser
import Celeriac
import Foundation

/// `celeriac chord "tasks.add 1 1" "tasks.add 2 2" … --body tasks.xsum [--wait]`.
struct ChordCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "chord",
    abstract: "Send a chord; print the body's id, or with --wait the body's value.",
    discussion:
      "Each header task and the body are a task name and its arguments in one word (quote it). The body gets the list of the header's values first."
  )

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The header tasks, e.g. \"tasks.add 1 2\" \"tasks.add 3 4\".")
  var header: [String]
  @Option(help: "The body, e.g. tasks.xsum.") var body: String
  @Flag(help: "Wait for the body and print its value.") var wait = false
  @OptionGroup var timeout: CanvasTimeoutOption

  func validate() throws {
    guard !header.isEmpty else { throw ValidationError("a chord needs at least one header task") }
  }

  func run() throws {
    let app = CeleriacCommandLine.app
    let open = try connection.connect(app)
    let parts = try header.map { try CanvasStep.signature($0, priority: nil) }
    let bodySignature = try CanvasStep.signature(body, priority: nil)
    let result = try CanvasStep.wait { try await app.chord(parts, body: bodySignature) }
    guard wait else {
      print(result.id)
      return
    }
    let record = try open.backend.waitForResult(
      result.id, timeout: .seconds(fractional: timeout.timeout))
    try ResultPrinter.printValue(of: record, taskID: result.id, timeout: timeout.timeout)
  }
}
