import ArgumentParser
import CeleriacCore

/// `--timeout` of `celeriac chain`, `group` and `chord`: how long `--wait` waits.
struct CanvasTimeoutOption: ParsableArguments {
  /// The wait when none is given, in seconds.
  static let defaultTimeout: Double = 30

  @Option(help: "Seconds to wait with --wait.") var timeout: Double = defaultTimeout

  func validate() throws {
    if let problem = SecondsValue.positive.problem(with: timeout, name: "--timeout") {
      throw ValidationError(problem)
    }
  }
}

/// `--priority` of `celeriac chain` and `group`: one priority for every task sent.
struct CanvasPriorityOption: ParsableArguments {
  @Option(help: "The priority of every task, 0 to 9; lower runs first.") var priority: Int?

  func validate() throws {
    if let priority, let problem = TaskPriority.problem(with: priority) {
      throw ValidationError("--\(problem)")
    }
  }
}
