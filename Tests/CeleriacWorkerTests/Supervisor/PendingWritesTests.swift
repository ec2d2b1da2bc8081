import CeleriacCore
import Foundation
import Testing

@testable import CeleriacWorker

private func record(_ id: String, _ state: TaskState, _ result: JSONValue? = nil)
  -> TaskResultRecord
{
  TaskResultRecord(
    taskID: id, state: state, result: result, dateDone: Date(timeIntervalSince1970: 1_795_593_600))
}

@Suite("PendingWrites.coalescedRecords")
struct PendingWritesTests {
  @Test("empty writes have no records")
  func empty() {
    let writes = PendingWrites()
    #expect(writes.isEmpty)
    #expect(writes.coalescedRecords.isEmpty)
  }

  @Test("keeps the last record of each task, in the order of those last records")
  func lastPerTaskInOrder() {
    var writes = PendingWrites()
    for item in [
      record("a", .started), record("b", .started), record("a", .progress, 1),
      record("c", .started), record("a", .success, 2), record("b", .failure),
      record("d", .success, 3),
    ] {
      writes.record(item)
    }
    #expect(!writes.isEmpty)
    #expect(writes.records.count == 7)
    #expect(
      writes.coalescedRecords == [
        record("c", .started), record("a", .success, 2), record("b", .failure),
        record("d", .success, 3),
      ])
  }

  @Test("distinct tasks are all kept in insertion order")
  func distinctTasksKept() {
    var writes = PendingWrites()
    let records = (0..<20).map { record("task-\($0)", .success, .int(Int64($0))) }
    for item in records { writes.record(item) }
    #expect(writes.coalescedRecords == records)
  }

  @Test("a STARTED overtaken by SUCCESS in the same turn is not written")
  func startedOvertaken() {
    var writes = PendingWrites()
    writes.record(record("x", .started))
    writes.record(record("x", .success, "done"))
    #expect(writes.coalescedRecords == [record("x", .success, "done")])
  }

  @Test("the same state twice keeps the later record")
  func sameStateTwice() {
    var writes = PendingWrites()
    writes.record(record("x", .progress, 1))
    writes.record(record("x", .progress, 2))
    #expect(writes.coalescedRecords.map(\.result) == [2])
  }
}
