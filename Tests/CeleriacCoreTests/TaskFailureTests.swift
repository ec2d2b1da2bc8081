import CeleriacCore
import Testing

private struct DiskFull: Error, CustomStringConvertible {
  var device: String
  var description: String { "no space left on \(device)" }
}

private enum ParseError: Error {
  case badToken(String)
}

@Suite("TaskFailure(describing:)")
struct TaskFailureTests {
  @Test("a TaskFailure is kept as it is")
  func keepsTaskFailure() {
    let failure = TaskFailure(
      type: "ValueError", message: "bad value", module: "myapp", traceback: "line 1")
    #expect(TaskFailure(describing: failure) == failure)
  }

  @Test("SoftTimeLimitExceeded and CancellationError become Celery's SoftTimeLimitExceeded")
  func softTimeLimit() {
    let expected = TaskFailure(
      type: "SoftTimeLimitExceeded", message: "soft time limit exceeded",
      module: "celery.exceptions")
    #expect(TaskFailure(describing: SoftTimeLimitExceeded()) == expected)
    #expect(TaskFailure(describing: CancellationError()) == expected)
  }

  @Test("a CeleriacError keeps its message")
  func celeriacError() {
    let failure = TaskFailure(describing: CeleriacError(.timeout, "took too long"))
    #expect(
      failure == TaskFailure(type: "CeleriacError", message: "took too long", module: "celeriac"))
  }

  @Test("any other Swift error is described by its type and description")
  func arbitraryError() {
    let failure = TaskFailure(describing: DiskFull(device: "/dev/sda1"))
    #expect(failure.type == "DiskFull")
    #expect(failure.message == "no space left on /dev/sda1")
    #expect(failure.module == "celeriac")
    #expect(failure.traceback == nil)
    let parse = TaskFailure(describing: ParseError.badToken("}"))
    #expect(parse.type == "ParseError")
    #expect(parse.message.contains("badToken"))
  }

  @Test("description is Type: message; lostWorker uses billiard's module")
  func descriptionAndLostWorker() {
    #expect(TaskFailure(type: "KeyError", message: "'x'").description == "KeyError: 'x'")
    let lost = TaskFailure.lostWorker("child 42 killed by SIGKILL")
    #expect(lost.type == "WorkerLostError")
    #expect(lost.module == "billiard.exceptions")
    #expect(lost.message == "child 42 killed by SIGKILL")
  }

  @Test("a failure round-trips through JSON")
  func codable() throws {
    let failure = TaskFailure(type: "ValueError", message: "x", traceback: "tb")
    let text = try JSONCoding.encodeString(failure)
    #expect(try JSONCoding.decode(TaskFailure.self, from: text) == failure)
  }
}
