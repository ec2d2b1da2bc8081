import CeleriacCore

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

  var isEmpty: Bool {
    publishes.isEmpty && records.isEmpty && acknowledgements.isEmpty && releases.isEmpty
      && redeliveries.isEmpty && deadLetters.isEmpty
  }

  mutating func record(_ record: TaskResultRecord) {
    records.append(record)
  }

  /// The records to store: the last one of each task (a STARTED overtaken by SUCCESS in the
  /// same turn is not written at all).
  var coalescedRecords: [TaskResultRecord] {
    var latest: [String: Int] = [:]
    for (index, record) in records.enumerated() { latest[record.taskID] = index }
    return records.enumerated().filter { latest[$0.element.taskID] == $0.offset }.map(\.element)
  }
}
