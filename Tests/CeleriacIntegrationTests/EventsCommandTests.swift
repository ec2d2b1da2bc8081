import Celeriac
import CeleriacTestSupport
import Foundation
import Testing

/// `celeriac events` following real workers run with `-E`.
@Suite("celeriac events: a live stream of task and worker events", .serialized, .machineSlot)
struct EventsCommandTests {
  /// `celeriac events ARGS` running in the background, its output in files.
  final class Follower {
    let process = Process()
    let outputPath: String
    let errorPath: String

    init(_ fleet: FleetSandbox, _ arguments: [String]) async throws {
      let name = UUID().uuidString.prefix(8)
      outputPath = fleet.directory + "/events-\(name).out"
      errorPath = fleet.directory + "/events-\(name).err"
      _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
      _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
      process.executableURL = URL(fileURLWithPath: CeleriacBinary.path)
      process.arguments = ["events"] + arguments + fleet.connectionArguments
      process.currentDirectoryURL = URL(fileURLWithPath: fleet.directory)
      process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
      process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
      try process.run()
      // Subscribed once it says so: events sent after this are seen.
      let following = try await waitUntil(timeout: .seconds(20)) {
        (try? String(contentsOfFile: errorPath, encoding: .utf8))?.contains("following") == true
          || !process.isRunning
      }
      if !following || !process.isRunning {
        throw IntegrationFailure("celeriac events did not start: \(errors)")
      }
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
    var lines: [String] { output.split(separator: "\n").map(String.init) }

    deinit {
      if process.isRunning { process.terminate() }
    }
  }

  @Test(
    "--json lines follow received, started, succeeded and failed; --filter keeps only matches",
    arguments: FleetBroker.allCases)
  func followsTaskEvents(_ kind: FleetBroker) async throws {
    let fleet = try await FleetSandbox(kind)
    let worker = try await fleet.worker(["-c", "1", "-E", "-n", "celeriac@events-\(kind)"])
    let everything = try await Follower(fleet, ["--json", "--duration", "60"])
    let failures = try await Follower(fleet, ["--filter", "task-failed", "--count", "1"])

    let add = try fleet.run(["send", "tasks.add", "2", "3"]).stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let fail = try fleet.run(["send", "tasks.fail", "boom"]).stdout
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let events = { () -> [JSONValue] in everything.lines.compactMap { try? JSONValue(parsing: $0) }
    }
    #expect(
      try await waitUntil(timeout: .seconds(30)) {
        events().contains { $0["type"] == "task-failed" && $0["uuid"]?.stringValue == fail }
      }, "\(everything.output)\n\(everything.errors)\n\(worker.log)")
    let forAdd = events().filter { $0["uuid"]?.stringValue == add }.compactMap {
      $0["type"]?.stringValue
    }
    #expect(forAdd == ["task-received", "task-started", "task-succeeded"])
    let succeeded = events().first {
      $0["uuid"]?.stringValue == add && $0["type"] == "task-succeeded"
    }
    #expect(succeeded?["name"] == "tasks.add", "the name remembered from task-received")
    #expect(succeeded?["hostname"] == .string("celeriac@events-\(kind)"))
    #expect(
      try await waitUntil(timeout: .seconds(30)) {
        events().contains { $0["type"] == "worker-heartbeat" }
      }, "the worker's heartbeats are followed too")

    failures.process.waitUntilExit()
    #expect(failures.process.terminationStatus == 0)
    #expect(
      failures.lines.count == 1
        && failures.lines.first?.contains("task-failed tasks.fail \(fail)") == true,
      "\(failures.output)")
  }

  @Test(
    "bad flags are refused with the flag's name",
    arguments: [
      ["--count", "0"], ["--duration", "-1"], ["--duration", "nan"], ["--filter", ""],
    ])
  func badFlags(_ arguments: [String]) async throws {
    let fleet = try await FleetSandbox(.sqlite)
    let result = try fleet.run(["events"] + arguments)
    #expect(result.status == 64, "\(result.stderr)")
    #expect(result.stderr.contains(arguments[0]), "\(result.stderr)")
  }
}
