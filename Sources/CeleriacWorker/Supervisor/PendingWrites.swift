import CeleriacCore
import Foundation

/// Broker and backend writes collected during one turn of the loop and flushed together, in
/// the order that keeps at-least-once delivery: new messages (retries, next steps), then
/// results, then acknowledgements. A write that fails stays pending for the next turn: nothing
/// is dropped.
///
/// The loop's steps only say what happened (``publish(_:)``, ``record(_:)``,
/// ``acknowledge(_:)``, …); ``flush(to:report:)`` alone decides how it reaches the broker.
struct PendingWrites {
  private(set) var publishes: [TaskMessage] = []
  private(set) var records: [TaskResultRecord] = []
  private(set) var acknowledgements: [DeliveryTag] = []
  private(set) var releases: [DeliveryTag] = []
  private(set) var redeliveries: [DeliveryTag] = []
  private(set) var deadLetters: [(DeliveryTag, String)] = []
  /// Chord header parts to count with their results (``ChordCounting``).
  private var chordParts: [ChordPart] = []
  /// Chords this supervisor counted the last part of and still has to finish.
  private var completedChords: [CompletedChord] = []

  /// STARTED records held back briefly: a task that finishes within ``startedDelay`` never
  /// needs one (its SUCCESS replaces it), which halves the result writes of short tasks.
  private var deferredStarted:
    [String: (record: TaskResultRecord, since: ContinuousClock.Instant)] = [:]

  /// How long a STARTED record waits before it is written.
  static let startedDelay: Duration = .milliseconds(10)

  /// What the records of each running task carry besides their state (arguments, queue,
  /// worker, child pid), kept from its start until its last record of that run.
  private var runs:
    [String: (
      message: TaskMessage, worker: String, pid: Int32, started: Date, keepsArguments: Bool
    )] = [:]

  /// The most runs remembered: a task lost without a final record is forgotten at the latest
  /// when this many others have started since.
  static let maximumRuns = 10_000

  /// Whether nothing waits to be written (held-back STARTED records aside).
  var isEmpty: Bool { count == 0 }

  /// How many writes wait (held-back STARTED records aside), for ``GroupCommit``.
  var count: Int {
    publishes.count + records.count + acknowledgements.count + releases.count
      + redeliveries.count + deadLetters.count + chordParts.count + completedChords.count
  }

  // MARK: What happened

  /// A message to send: a retry, a workflow's next step, a deferred task.
  mutating func publish(_ message: TaskMessage) { publishes.append(message) }

  /// Messages to send, in order.
  mutating func publish(contentsOf messages: [TaskMessage]) { publishes += messages }

  /// A delivery whose outcome is stored (or that must not run): take it off the broker.
  mutating func acknowledge(_ tag: DeliveryTag) { acknowledgements.append(tag) }

  /// Deliveries to hand back untouched (reserved tasks at shutdown or reload).
  mutating func release(_ tags: [DeliveryTag]) { releases += tags }

  /// A delivery whose child was lost: back to its queue, counted as a redelivery.
  mutating func redeliver(_ tag: DeliveryTag) { redeliveries.append(tag) }

  /// A delivery that must never run again, with why.
  mutating func deadLetter(_ tag: DeliveryTag, reason: String) {
    deadLetters.append((tag, reason))
  }

  /// A chord header part, counted in the commit that stores its result.
  mutating func countChordPart(_ part: ChordPart) { chordParts.append(part) }

  /// Chords to finish (taken over from a supervisor that did not).
  mutating func finish(_ chords: [CompletedChord]) { completedChords += chords }

  /// Remembers that `message` runs in child `pid` of `worker`, for its records.
  mutating func noteRun(of message: TaskMessage, worker: String, pid: Int32) {
    if runs.count >= Self.maximumRuns { runs.removeAll(keepingCapacity: true) }
    runs[message.id] = (
      message, worker, pid, Date(), TaskResultRecord.keepsArguments(of: message)
    )
  }

  /// A result record to store.
  mutating func record(_ record: TaskResultRecord) {
    deferredStarted[record.taskID] = nil
    records.append(described(record))
    if record.state != .started && record.state != .progress { runs[record.taskID] = nil }
  }

  /// A STARTED record, held back for ``startedDelay``.
  mutating func recordStarted(_ record: TaskResultRecord, at now: ContinuousClock.Instant) {
    deferredStarted[record.taskID] = (described(record), now)
  }

  /// Drops a held-back STARTED record of a task that will not be reported as running.
  mutating func forgetStarted(taskID: String) { deferredStarted[taskID] = nil }

  /// `record` with its run's arguments, queue, worker and pid, when the task is running here.
  private func described(_ record: TaskResultRecord) -> TaskResultRecord {
    guard let run = runs[record.taskID] else { return record }
    return record.describing(
      run.message, worker: run.worker, pid: run.pid, started: run.started,
      keepingArguments: run.keepsArguments)
  }

  // MARK: Writing it

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

  /// Writes everything pending to `destination`, in the order above. What a failed call did
  /// not write stays pending, and `report` keeps what was done before the failure.
  mutating func flush(to destination: OutcomeDestination, report: inout FlushReport) throws {
    let broker = destination.broker
    if !chordParts.isEmpty, let counter = destination.chordCounter {
      // Parts are counted in the commit that stores their results and acknowledges them.
      completedChords += try counter.commit(
        publishing: publishes, results: coalescedRecords, expiresIn: destination.resultExpiry,
        acknowledging: acknowledgements, chordParts: chordParts)
      publishes.removeAll()
      records.removeAll()
      acknowledgements.removeAll()
      chordParts.removeAll()
    }
    if let committer = broker as? any OutcomeCommitting,
      committer.sharesStorage(with: destination.backend)
    {
      // Retries and next steps commit with the results and acknowledgements that cause them.
      try committer.commit(
        publishing: publishes, results: coalescedRecords, expiresIn: destination.resultExpiry,
        acknowledging: acknowledgements)
      publishes.removeAll()
      records.removeAll()
      acknowledgements.removeAll()
    }
    if !publishes.isEmpty {
      try broker.publish(publishes)
      publishes.removeAll()
    }
    if !records.isEmpty {
      try destination.backend.store(coalescedRecords, expiresIn: destination.resultExpiry)
      records.removeAll()
    }
    if !acknowledgements.isEmpty {
      try broker.acknowledge(acknowledgements)
      acknowledgements.removeAll()
    }
    if !redeliveries.isEmpty {
      try broker.release(redeliveries, countAsRedelivery: true)
      redeliveries.removeAll()
    }
    if !releases.isEmpty {
      try broker.release(releases, countAsRedelivery: false)
      releases.removeAll()
    }
    while let (tag, reason) = deadLetters.first {
      try broker.deadLetter(tag, reason: reason)
      deadLetters.removeFirst()
      report.deadLettered += 1
    }
    while let chord = completedChords.first, let counter = destination.chordCounter {
      let finished = try counter.finish(
        chord, expiresIn: destination.resultExpiry, defaultQueue: destination.defaultQueue)
      report.chords.append((chord.body.groupID, finished))
      completedChords.removeFirst()
    }
  }
}

/// Where ``PendingWrites`` go: the broker, the backend, and how the broker counts chords.
struct OutcomeDestination {
  let broker: any Broker
  let backend: any ResultBackend
  /// The broker as a chord counter, when it counts parts where the backend stores results.
  let chordCounter: (any ChordCounting)?
  let resultExpiry: Duration
  /// The queue of a task sent by a chord body that names none.
  let defaultQueue: (String) -> String
}

/// What a flush did besides storing and acknowledging, for the log and the metrics.
struct FlushReport {
  /// Messages moved to dead-letter.
  var deadLettered = 0
  /// Chords whose body this flush sent (`finished`), or whose claim another worker holds.
  var chords: [(groupID: String, finished: Bool)] = []
}
