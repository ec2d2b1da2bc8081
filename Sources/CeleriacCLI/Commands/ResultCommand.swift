import ArgumentParser
import Celeriac

/// `celeriac result ID [--wait --timeout S]`.
struct ResultCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "result", abstract: "Print a task's state and value.")

  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The task id.") var taskID: String
  @Flag(help: "Wait until the task is ready.") var wait = false
  @Option(help: "Seconds to wait with --wait.") var timeout: Double = 30

  func validate() throws {
    if let problem = SecondsValue.positive.problem(with: timeout, name: "--timeout") {
      throw ValidationError(problem)
    }
  }

  func run() throws {
    let open = try connection.connect(CeleriacCommandLine.app)
    let record =
      wait
      ? try open.backend.waitForResult(taskID, timeout: .seconds(fractional: timeout))
      : try open.backend.result(for: taskID)
    guard let record else {
      print(TaskState.pending)
      if wait {
        throw CommandFailure(
          "task \(taskID) is not ready after \(timeout) s (state PENDING)", code: 2)
      }
      return
    }
    switch record.state {
    case .failure:
      print("\(record.state) \(record.failure?.description ?? "")")
      throw ExitCode(1)
    case .success:
      print("\(record.state) \((record.result ?? .null).compactDescription)")
    default:
      print("\(record.state) \(record.result.map(\.compactDescription) ?? "")")
      if wait && !record.state.isReady { throw ExitCode(2) }
    }
  }
}
