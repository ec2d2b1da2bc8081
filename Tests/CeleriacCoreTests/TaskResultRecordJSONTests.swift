import CeleriacCore
import Foundation
import Testing

@Suite("TaskResultRecord.jsonValue: the hand-written encoding agrees with Codable's")
struct TaskResultRecordJSONTests {
  static let full: TaskResultRecord = {
    var record = TaskResultRecord(
      taskID: "7d5a0f0e-1111-4222-8333-944445555666", state: .failure,
      result: ["partial": [1, 2.5, "three", nil]],
      failure: TaskFailure(
        type: "ValueError", message: "bad \"input\"\n", module: "builtins",
        traceback: "Traceback (most recent call last):\n  …"),
      dateDone: Date(timeIntervalSince1970: 1_800_000_000.125), name: "tasks.add", retries: 3,
      children: ["c1", "c2"], headers: ["celeriac_beat_entry": "nightly"])
    record.args = [1, "two", ["x": true]]
    record.kwargs = ["k": "v", "n": 7]
    record.queue = "images"
    record.worker = "celeriac@host"
    record.pid = 4242
    record.dateStarted = Date(timeIntervalSince1970: 1_799_999_999.5)
    return record
  }()

  static let minimal = TaskResultRecord(
    taskID: "m", state: .success, dateDone: Date(timeIntervalSince1970: 1_800_000_000))

  static let progress = TaskResultRecord(
    taskID: "p", state: TaskState(rawValue: "PROGRESS"), result: ["done": 3, "total": 10],
    dateDone: Date(timeIntervalSince1970: 1_800_000_000))

  @Test("decoding either encoding gives the same record", arguments: [full, minimal, progress])
  func agreesWithCodable(record: TaskResultRecord) throws {
    let written = record.jsonText
    let viaCodable = try JSONCoding.encodeString(record)
    #expect(try JSONCoding.decode(TaskResultRecord.self, from: written) == record)
    #expect(try JSONValue(parsing: written) == JSONValue(parsing: viaCodable))
  }

  @Test(
    "the stored text is exactly the writer's text of jsonValue (keys sorted)",
    arguments: [full, minimal, progress])
  func textMatchesTheValue(record: TaskResultRecord) {
    #expect(record.jsonText == JSONWriter.string(record.jsonValue))
  }

  /// Every key the record may write, each alone, so that a key written out of sorted order
  /// (or not at all) shows as a difference.
  @Test("each optional field alone is written in its sorted place")
  func eachFieldAlone() {
    var records: [TaskResultRecord] = []
    for field in 0..<9 {
      var record = Self.minimal
      switch field {
      case 0: record.args = [1]
      case 1: record.dateStarted = Date(timeIntervalSince1970: 1_799_999_999)
      case 2: record.failure = TaskFailure(type: "E", message: "m")
      case 3: record.headers = ["h": 1]
      case 4: record.kwargs = ["k": 2]
      case 5: record.name = "tasks.n"
      case 6: record.pid = 7
      case 7: record.queue = "q"
      default: record.worker = "w"
      }
      records.append(record)
    }
    for record in records {
      #expect(record.jsonText == JSONWriter.string(record.jsonValue))
    }
  }

  @Test("the stored-record reader reads both encodings", arguments: [full, minimal, progress])
  func readsBack(record: TaskResultRecord) throws {
    #expect(TaskResultRecord(jsonValue: record.jsonValue) == record)
    #expect(try TaskResultRecord.decode(stored: record.jsonText) == record)
    #expect(try TaskResultRecord.decode(stored: JSONCoding.encodeString(record)) == record)
  }

  @Test(
    "a value of another shape is left to Codable, which decides",
    arguments: [
      // An explicit null result: Codable reads it as no result.
      #"{"taskID":"a","state":"SUCCESS","dateDone":"2027-01-15T08:00:00.000000Z","retries":0,"children":[],"result":null}"#,
      // Retries as a string: Codable refuses it too.
      #"{"taskID":"a","state":"SUCCESS","dateDone":"2027-01-15T08:00:00.000000Z","retries":"0","children":[]}"#,
      // A key this version does not write: Codable ignores it.
      #"{"taskID":"a","state":"SUCCESS","dateDone":"2027-01-15T08:00:00.000000Z","retries":0,"children":[],"surprise":1}"#,
      // A date that is not ISO 8601.
      #"{"taskID":"a","state":"SUCCESS","dateDone":"yesterday","retries":0,"children":[]}"#,
      // A pid beyond Int32.
      #"{"taskID":"a","state":"SUCCESS","dateDone":"2027-01-15T08:00:00.000000Z","retries":0,"children":[],"pid":4294967296}"#,
    ])
  func otherShapes(text: String) throws {
    #expect(TaskResultRecord(jsonValue: try JSONValue(parsing: text)) == nil)
    let fast = try? TaskResultRecord.decode(stored: text)
    let codable = try? JSONCoding.decode(TaskResultRecord.self, from: text)
    #expect(fast == codable)
  }

  /// A tripwire: a stored property added to the record or the failure must be added to its
  /// `jsonValue` and reader too (and to `full` above), or stored outcomes would lose it.
  @Test("every stored property is covered")
  func coversEveryProperty() {
    #expect(Mirror(reflecting: Self.full).children.count == 15)
    #expect(Mirror(reflecting: Self.full.failure!).children.count == 4)
    guard case .object(let fields) = Self.full.jsonValue else {
      Issue.record("not an object")
      return
    }
    #expect(fields.count == 15)
  }
}
