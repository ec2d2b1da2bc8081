import Celeriac
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `celeriac worker --log-format json`: every line one JSON object, task lines with the task's
/// id and name and the pool and pid of the child that ran it.
@Suite("Worker log format", .serialized, .machineSlot)
struct LogFormatTests {
  @Test("--log-format json: one object a line; task lines carry task_id, task_name, pool, pid")
  func jsonLines() async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(
      sandbox: sandbox, arguments: ["-c", "1", "--log-format", "json"])
    let children = worker.childPIDs()
    let added = try sandbox.send("tasks.add", [1, 2])
    let failed = try sandbox.send("tasks.fail", ["boom"])
    await #expect(try sandbox.waitForRecord(added)?.result == 3)
    await #expect(try sandbox.waitForRecord(failed)?.state == .failure)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)

    let lines = worker.log.split(separator: "\n").map(String.init)
    var objects: [[String: JSONValue]] = []
    for line in lines {
      guard let object = try? JSONCoding.decode([String: JSONValue].self, from: line) else {
        Issue.record("not a JSON line: \(line)")
        continue
      }
      objects.append(object)
    }
    #expect(objects.allSatisfy { $0["level"] != nil && $0["message"] != nil && $0["time"] != nil })
    #expect(objects.allSatisfy { $0["process"]?.intValue == Int64(worker.pid) })
    let started = objects.first { $0["task_id"]?.stringValue == added }
    #expect(started?["task_name"] == "tasks.add" && started?["pool"] == "celery")
    #expect(children.contains(Int32(clamping: started?["pid"]?.intValue ?? -1)), "\(lines)")
    let failure = objects.first {
      $0["task_id"]?.stringValue == failed && $0["message"]?.stringValue?.contains("failed") == true
    }
    #expect(failure?["task_name"] == "tasks.fail" && failure?["level"] == "info", "\(lines)")
  }

  @Test("the default text lines carry no metadata", arguments: ["text"])
  func textLines(_ format: String) async throws {
    let sandbox = try Sandbox()
    let worker = try await WorkerProcess(
      sandbox: sandbox, arguments: ["-c", "1", "--log-format", format])
    let failed = try sandbox.send("tasks.fail", ["boom"])
    await #expect(try sandbox.waitForRecord(failed)?.state == .failure)
    worker.signal(SIGTERM)
    await #expect(try worker.waitForExit() == 0)
    let line = worker.log.split(separator: "\n").first { $0.contains("failed: ValueError") }
    #expect(line?.contains("task_id=") == false && line?.hasPrefix("{") == false, "\(worker.log)")
  }
}
