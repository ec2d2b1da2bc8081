import CeleriacCore
import Testing

@testable import CeleriacWorker

@Suite("EventRecorder")
struct EventRecorderTests {
  struct Refused: Error {}

  let start = ContinuousClock.now

  func recorder() -> EventRecorder {
    var recorder = EventRecorder(hostname: "celeriac@test", now: start)
    recorder.setEnabled(true, now: start)
    return recorder
  }

  /// The events `flush` hands over at `now`.
  func flushed(
    _ recorder: inout EventRecorder, at now: ContinuousClock.Instant, force: Bool = false
  )
    -> [WorkerEvent]
  {
    var sent: [WorkerEvent] = []
    recorder.flush(now: now, force: force) { sent = $0 }
    return sent
  }

  @Test("records nothing while off")
  func off() {
    var recorder = EventRecorder(hostname: "celeriac@test", now: start)
    recorder.record("task-received", routingKey: "task.multi", [:])
    #expect(recorder.nextFlushDue == nil)
    #expect(flushed(&recorder, at: start, force: true).isEmpty)
  }

  @Test("every event carries its type, hostname and a clock that counts up")
  func commonFields() {
    var recorder = recorder()
    recorder.record("task-received", routingKey: "task.multi", ["uuid": "a"])
    recorder.record("task-started", routingKey: "task.multi", ["uuid": "a"])
    let events = flushed(&recorder, at: start)
    #expect(events.map { $0.fields["type"] } == ["task-received", "task-started"])
    #expect(events.allSatisfy { $0.fields["hostname"] == "celeriac@test" })
    #expect(events.map { $0.fields["clock"] } == [.int(1), .int(2)])
  }

  @Test("after a send, the next waits for the flush interval unless forced or the batch is full")
  func flushInterval() {
    var recorder = recorder()
    recorder.record("a", routingKey: "task.multi", [:])
    #expect(
      flushed(&recorder, at: start).count == 1, "the first event after a quiet spell goes at once")
    recorder.record("b", routingKey: "task.multi", [:])
    #expect(recorder.nextFlushDue == start + EventRecorder.flushInterval)
    #expect(flushed(&recorder, at: start + .milliseconds(1)).isEmpty)
    #expect(flushed(&recorder, at: start + .milliseconds(1), force: true).count == 1)
    for _ in 0..<EventRecorder.batchLimit { recorder.record("c", routingKey: "task.multi", [:]) }
    #expect(flushed(&recorder, at: start + .milliseconds(2)).count == EventRecorder.batchLimit)
  }

  @Test("a failed send keeps the events for the next one")
  func failedSend() {
    var recorder = recorder()
    recorder.record("a", routingKey: "task.multi", [:])
    var threw = false
    do {
      try recorder.flush(now: start, force: true) { _ in throw Refused() }
    } catch {
      threw = error is Refused
    }
    #expect(threw)
    #expect(flushed(&recorder, at: start, force: true).count == 1)
  }

  @Test("held events are bounded: past the maximum the oldest tenth is dropped")
  func bounded() {
    var recorder = recorder()
    for index in 0..<(EventRecorder.maximumPending + 1) {
      recorder.record("e", routingKey: "task.multi", ["n": .int(Int64(index))])
    }
    let events = flushed(&recorder, at: start, force: true)
    #expect(events.count == EventRecorder.maximumPending - EventRecorder.maximumPending / 10 + 1)
    #expect(events.first?.fields["n"] == .int(Int64(EventRecorder.maximumPending / 10)))
  }

  @Test("the heartbeat is due at once when switched on, then every interval")
  func heartbeat() {
    var recorder = recorder()
    let due = [start, start + .seconds(1), start + EventRecorder.heartbeatInterval].map {
      recorder.takeHeartbeat(now: $0)
    }
    #expect(due == [true, false, true])
  }
}
