import CeleriacCore
import Foundation
import Testing

@testable import CeleriacWorker

@Suite("PendingWrites: what a run adds to its records")
struct PendingWritesRunTests {
  @Test("records of a running task carry its args, kwargs, queue, worker and pid until it ends")
  func describesRuns() {
    var writes = PendingWrites()
    let message = TaskMessage(
      id: "t1", name: "tasks.add", args: [2, 3], kwargs: ["k": "v"], queue: "math")
    writes.noteRun(of: message, worker: "w@host", pid: 77)
    writes.recordStarted(TaskResultRecord(taskID: "t1", state: .started), at: .now)
    writes.record(TaskResultRecord(taskID: "t1", state: .success, result: 5))
    let stored = writes.coalescedRecords
    #expect(stored.count == 1)
    #expect(stored[0].args == [2, 3])
    #expect(stored[0].kwargs == ["k": "v"])
    #expect(stored[0].queue == "math")
    #expect(stored[0].worker == "w@host")
    #expect(stored[0].pid == 77)
    #expect(stored[0].dateStarted != nil)
    // The run is over: a later record of the same id (another run) is not described.
    writes.record(TaskResultRecord(taskID: "t1", state: .failure))
    #expect(writes.coalescedRecords.last?.pid == nil)
  }

  @Test("arguments longer than the bound are not kept in the record")
  func longArgumentsAreLeftOut() {
    let big = String(repeating: "x", count: TaskResultRecord.maximumKeptArgumentsLength)
    let message = TaskMessage(id: "t2", name: "tasks.big", args: [.string(big)])
    let record = TaskResultRecord(taskID: "t2", state: .success).describing(
      message, worker: "w", pid: 1)
    #expect(record.args == nil)
    #expect(record.kwargs == nil)
    #expect(record.queue == "celery")
  }
}
