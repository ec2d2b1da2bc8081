import CeleriacCore
import Foundation

/// Broker and backend writes collected during one turn of the loop and flushed together, in
/// the order that keeps at-least-once delivery: new messages (retries), then results, then
/// acknowledgements. A write that fails stays pending for the next turn: nothing is dropped.
struct PendingWrites {
  var publishes: [TaskMessage] = []
  var records: [TaskResultRecord] = []
  var acknowledgements: [DeliveryTag] = []
  var releases: [DeliveryTag] = []
  var redeliveries: [DeliveryTag] = []
  var deadLetters: [(DeliveryTag, String)] = []
  /// Chord header parts to count with their results (``ChordCounting``).
  var chordParts: [ChordPart] = []
  /// Chords this supervisor counted the last part of and still has to finish.
  var completedChords: [CompletedChord] = []

  var isEmpty: Bool {
    publishes.isEmpty && records.isEmpty && acknowledgements.isEmpty && releases.isEmpty
      && redeliveries.isEmpty && deadLetters.isEmpty && chordParts.isEmpty
      && completedChords.isEmpty
  }

  /// STARTED records held back briefly: a task that finishes within ``startedDelay`` never
  /// needs one (its SUCCESS replaces it), which halves the result writes of short tasks.
  var deferredStarted: [String: (record: TaskResultRecord, since: ContinuousClock.Instant)] = [:]

  /// How long a STARTED record waits before it is written.
  static let startedDelay: Duration = .milliseconds(10)

  /// What the records of each running task carry besides their state (arguments, queue,
  /// worker, child pid), kept from its start until its last record of that run.
  var runs:
    [String: (
      message: TaskMessage, worker: String, pid: Int32, started: Date, keepsArguments: Bool
    )] =
      [:]

  /// The most runs remembered: a task lost without a final record is forgotten at the latest
  /// when this many others have started since.
  static let maximumRuns = 10_000

  /// Remembers that `message` runs in child `pid` of `worker`, for its records.
  mutating func noteRun(of message: TaskMessage, worker: String, pid: Int32) {
    if runs.count >= Self.maximumRuns { runs.removeAll(keepingCapacity: true) }
    runs[message.id] = (
      message, worker, pid, Date(), TaskResultRecord.keepsArguments(of: message)
    )
  }

  mutating func record(_ record: TaskResultRecord) {
    deferredStarted[record.taskID] = nil
    records.append(described(record))
    if record.state != .started && record.state != .progress { runs[record.taskID] = nil }
  }

  mutating func recordStarted(_ record: TaskResultRecord, at now: ContinuousClock.Instant) {
    deferredStarted[record.taskID] = (described(record), now)
  }

  /// `record` with its run's arguments, queue, worker and pid, when the task is running here.
  private func described(_ record: TaskResultRecord) -> TaskResultRecord {
    guard let run = runs[record.taskID] else { return record }
    return record.describing(
      run.message, worker: run.worker, pid: run.pid, started: run.started,
      keepingArguments: run.keepsArguments)
  }

  /// Moves the STARTED records that have waited long enough into the next flush.
  mutating func promoteStarted(now: ContinuousClock.Instant) {
    for (id, entry) in deferredStarted where now - entry.since >= Self.startedDelay {
      records.insert(entry.record, at: 0)
      deferredStarted[id] = nil
    }
  }

  /// When the oldest held-back STARTED record is due.
  var nextStartedDue: ContinuousClock.Instant? {
    deferredStarted.values.map(\.since).min().map { $0 + Self.startedDelay }
  }

  /// The records to store: the last one of each task (a STARTED overtaken by SUCCESS in the
  /// same turn is not written at all).
  var coalescedRecords: [TaskResultRecord] {
    var latest: [String: Int] = [:]
    for (index, record) in records.enumerated() { latest[record.taskID] = index }
    return records.enumerated().filter { latest[$0.element.taskID] == $0.offset }.map(\.element)
  }
}
