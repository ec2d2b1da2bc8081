import CeleriacTestSupport
import Testing

@testable import CeleriacCLI

/// `WorkerArgumentScanner` reads the common worker command lines without swift-argument-parser;
/// whatever it accepts, the parser must read to the same flags.
@Suite("Worker argument scanner")
struct WorkerArgumentScannerTests {
  /// The flags ArgumentParser reads from `arguments`, or `nil` when it refuses them.
  static func parsed(_ arguments: [String]) -> WorkerFlags? {
    guard let command = try? WorkerCommand.parse(arguments) else { return nil }
    return WorkerFlags(command.optionGroups)
  }

  @Test(
    "the lines a worker is usually started with are read as the parser reads them",
    arguments: [
      [],
      ["--broker", "sqlite:///var/lib/celeriac/celeriac.db", "-c", "2"],
      ["--broker=redis://127.0.0.1:6379/0", "--backend=redis://127.0.0.1:6379/1", "-Q", "a,b"],
      ["-Q", "high,low", "--concurrency", "8", "--prefetch-multiplier", "0", "-E", "-n", "w1"],
      ["--autoscale", "high=8,2", "--autoscale", "4,1", "-Q", "high,low"],
      ["--max-tasks-per-child", "100", "--time-limit", "30", "--soft-time-limit", "25.5"],
      ["-l", "DEBUG", "--log-format", "json", "--metrics-port", "9808"],
      ["--config", "/etc/celeriac/worker.json", "--queues=a"],
      ["--hostname", "a=b", "--broker=sqlite://x.db?mode=rwc", "--task-events"],
      ["--concurrency", "two", "--lease", "not-a-number"],  // checked later, by the settings
    ])
  func agreesWithTheParser(arguments: [String]) throws {
    let scanned = try #require(WorkerArgumentScanner.scan(arguments))
    #expect(scanned == Self.parsed(arguments))
  }

  @Test(
    "what it is not sure of is left to the parser",
    arguments: [
      ["--help"], ["-h"], ["-B"], ["--beat", "--schedule", "beat.json"], ["-c2"], ["-Ec", "2"],
      ["--", "-c"], ["worker"], [""], ["-"], ["---"], ["--concurrency"], ["--concurrency", "-1"],
      ["-c", "2", "-c", "3"], ["--task-events=yes"], ["-E", "-E"],
      ["--config", "a", "--config", "b"],
      ["--no-such-flag"], ["--Concurrency", "2"], ["-Q"], ["--queues="],
    ])
  func leavesTheRestToTheParser(arguments: [String]) {
    #expect(WorkerArgumentScanner.scan(arguments) == nil)
  }

  @Test("on 1,000 seeded random command lines, whatever it reads the parser reads alike")
  func randomLines() {
    let names =
      WorkerSettings.all.flatMap { setting in
        [setting.flagName] + (setting.short.map { ["-\($0)"] } ?? [])
      } + [WorkerArgumentScanner.configName, "--beat", "-B", "--help", "--", "-x", "--bogus"]
    let values = ["2", "a,b", "", "-1", "0.5", "x=y", "--", "-c", "high=4,1", "redis://h:1/0"]
    var generator = SeededGenerator(seed: 0xC31E_41AC)
    var accepted = 0
    for _ in 0..<1_000 {
      var arguments: [String] = []
      for _ in 0..<Int.random(in: 0...6, using: &generator) {
        let name = names.randomElement(using: &generator)!
        let value = values.randomElement(using: &generator)!
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: arguments.append(name)
        case 1: arguments.append(name + "=" + value)
        default: arguments += [name, value]
        }
      }
      guard let scanned = WorkerArgumentScanner.scan(arguments) else { continue }
      accepted += 1
      #expect(scanned == Self.parsed(arguments), "\(arguments)")
    }
    // The lines are built so that a fair share is accepted: the property is not vacuous.
    #expect(accepted > 100)
  }
}
