import CeleriacCore
import CeleriacRedis
import Foundation
import Testing

/// Parses JSON text into a `JSONValue` for structural comparisons.
func json(_ text: String) throws -> JSONValue {
  try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
}

/// The members of a JSON object, or an empty dictionary.
func members(_ value: JSONValue?) -> [String: JSONValue] {
  if case .object(let members)? = value { return members }
  return [:]
}

/// The JSON type of a value, for comparing the shape of two messages.
func kind(_ value: JSONValue) -> String {
  switch value {
  case .null: "null"
  case .bool: "bool"
  case .int, .double: "number"
  case .string: "string"
  case .array: "array"
  case .object: "object"
  }
}

/// The record after encoding and decoding, its date (kept to the microsecond) set back when
/// it is within a microsecond.
func roundTripped(_ record: TaskResultRecord) throws -> TaskResultRecord {
  var decoded = try CeleryResult.decode(CeleryResult.encode(record), taskID: record.taskID)
  if abs(decoded.dateDone.timeIntervalSince(record.dateDone)) < 1e-6 {
    decoded.dateDone = record.dateDone
  }
  return decoded
}

@Suite("Celery protocol 2 and result format, against the Celery 5.7 captures")
struct CeleryProtocolTests {
  @Test("The embedded captures are the capture files")
  func capturesMatchFiles() throws {
    let directory = CeleryCaptures.directory
    guard FileManager.default.fileExists(atPath: directory) else { return }
    func file(_ name: String) throws -> String {
      try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }
    func rawValue(_ name: String) throws -> String {
      try members(try json(try file(name)))["raw_value"]?.stringValue ?? ""
    }
    #expect(try file("message_add_args.raw.json") == CeleryCaptures.messageArgs)
    #expect(try file("message_add_kwargs.raw.json") == CeleryCaptures.messageKwargs)
    #expect(try rawValue("result_success_args.json") == CeleryCaptures.resultSuccessArgs)
    #expect(try rawValue("result_failure_boom.json") == CeleryCaptures.resultFailureBoom)
    #expect(try rawValue("result_worker_lost.json") == CeleryCaptures.resultWorkerLost)
  }

  @Test("add.delay(2, 3) from Celery decodes to tasks.add with args [2, 3]")
  func decodeArgs() throws {
    let decoded = try CeleryProtocol.decode(CeleryCaptures.messageArgs, queue: "celery")
    let message = decoded.message
    #expect(message.id == "7b6065d8-3a30-4acb-a406-1c50fc21f85d")
    #expect(message.name == "tasks.add")
    #expect(message.args == [2, 3])
    #expect(message.kwargs.isEmpty)
    #expect(message.queue == "celery")
    #expect(message.eta == nil && message.expires == nil)
    #expect(message.retries == 0)
    #expect(message.timeLimit == TimeLimits())
    #expect(message.rootID == message.id)
    #expect(message.parentID == nil)
    #expect(message.options == TaskOptions())
    #expect(decoded.redeliveries == 0)
  }

  @Test("send_task with kwargs from Celery decodes to kwargs x and y")
  func decodeKwargs() throws {
    let message = try CeleryProtocol.decode(CeleryCaptures.messageKwargs, queue: "celery").message
    #expect(message.id == "4491778f-e053-456a-aa24-29f276a242e5")
    #expect(message.args.isEmpty)
    #expect(message.kwargs == ["x": 2, "y": 3])
    #expect(message.options.ignoreResult == false)
  }

  @Test("Our message has Celery's structure: same keys, same types, same fixed values")
  func encodeMatchesCapture() throws {
    let message = TaskMessage(
      id: "7b6065d8-3a30-4acb-a406-1c50fc21f85d", name: "tasks.add", args: [2, 3],
      rootID: "7b6065d8-3a30-4acb-a406-1c50fc21f85d")
    let ours = try json(
      CeleryProtocol.encode(
        message, origin: "gen27570@vm", replyTo: "1f39cc54-237f-345c-b9fa-c724d7dd0446",
        deliveryTag: "44caa0c4-6cdf-4b29-aaf6-b526ce1477f3"))
    let theirs = try json(CeleryCaptures.messageArgs)
    #expect(Set(members(ours).keys) == Set(members(theirs).keys))
    for section in ["headers", "properties"] {
      let mine = members(members(ours)[section])
      let celery = members(members(theirs)[section])
      #expect(Set(mine.keys) == Set(celery.keys), "\(section) keys differ")
      for (key, value) in celery {
        #expect(mine[key].map(kind) == kind(value), "\(section).\(key) has another type")
      }
    }
    // With the same id, tag, origin and reply_to, every field is equal, the body included.
    #expect(ours == theirs)
  }

  @Test("A kwargs message is equal to Celery's too, reprs included")
  func encodeKwargsMatchesCapture() throws {
    let message = TaskMessage(
      id: "4491778f-e053-456a-aa24-29f276a242e5", name: "tasks.add", kwargs: ["x": 2, "y": 3],
      rootID: "4491778f-e053-456a-aa24-29f276a242e5")
    let ours = try json(
      CeleryProtocol.encode(
        message, origin: "gen27570@vm", replyTo: "1f39cc54-237f-345c-b9fa-c724d7dd0446",
        deliveryTag: "347e3d05-86cb-42b1-b2a0-5202efceb9e4"))
    var theirs = try json(CeleryCaptures.messageKwargs)
    // send_task leaves ignore_result null; our sends always say false.
    var theirHeaders = members(members(theirs)["headers"])
    theirHeaders["ignore_result"] = false
    var theirMembers = members(theirs)
    theirMembers["headers"] = .object(theirHeaders)
    theirs = .object(theirMembers)
    #expect(ours == theirs)
  }

  @Test("Round trip keeps every field, Celeriac's options in extra headers")
  func roundTrip() throws {
    let eta = Date(timeIntervalSince1970: 1_800_000_000.25)
    let message = TaskMessage(
      name: "tasks.record", args: ["/tmp/x", 0.5, nil, true, ["nested": [1, "two"]]],
      kwargs: ["quote": "it's \"quoted\"\n", "unicode": "café ☕"], queue: "images", eta: eta,
      expires: eta.addingTimeInterval(60), retries: 2, timeLimit: TimeLimits(soft: 1.5, hard: 3),
      options: TaskOptions(
        acksLate: true, rejectOnWorkerLost: true, ignoreResult: true, maxRedeliveries: 7),
      rootID: "root", parentID: "parent", groupID: "group", idempotencyKey: "key-1")
    let raw = CeleryProtocol.encode(message, redeliveries: 4, origin: "gen1@h", replyTo: "r")
    let decoded = try CeleryProtocol.decode(raw, queue: "images")
    #expect(decoded.message == message)
    #expect(decoded.redeliveries == 4)
    let headers = members(members(try json(raw))["headers"])
    #expect(headers["timelimit"] == [3, 1.5])  // Celery's order: [hard, soft]
    #expect(headers["celeriac_acks_late"] == true)
    #expect(headers["argsrepr"] == "('/tmp/x', 0.5, None, True, {'nested': [1, 'two']})")
  }

  @Test("Redelivery counter goes up in the stored message")
  func incrementRedeliveries() throws {
    let once = try #require(CeleryProtocol.incrementingRedeliveries(CeleryCaptures.messageArgs))
    let twice = try #require(CeleryProtocol.incrementingRedeliveries(once))
    #expect(try CeleryProtocol.decode(once, queue: "celery").redeliveries == 1)
    let decoded = try CeleryProtocol.decode(twice, queue: "celery")
    #expect(decoded.redeliveries == 2)
    #expect(decoded.message.args == [2, 3])
    #expect(CeleryProtocol.routingKey(of: twice) == "celery")
    #expect(CeleryProtocol.incrementingRedeliveries("not json") == nil)
  }

  @Test(
    "Bad messages are refused with a reason naming the problem",
    arguments: [
      ("not json at all", "not a kombu message"),
      (
        #"{"body": "gAR9lC4=", "content-type": "application/x-python-serialize", "content-encoding": "binary", "headers": {"task": "tasks.add", "id": "p1"}, "properties": {"body_encoding": "base64"}}"#,
        "pickle is never deserialized"
      ),
      (
        #"{"body": "e30=", "content-type": "application/x-yaml", "headers": {"task": "t", "id": "y1"}, "properties": {"body_encoding": "base64"}}"#,
        "application/x-yaml"
      ),
      (
        #"{"body": "eyJ0YXNrIjogInRhc2tzLmFkZCIsICJpZCI6ICIxIiwgImFyZ3MiOiBbXX0=", "content-type": "application/json", "headers": {}, "properties": {"body_encoding": "base64"}}"#,
        "protocol 1"
      ),
      (
        #"{"body": "W10=", "content-type": "application/json", "headers": {"task": "tasks.add", "id": "b1"}, "properties": {"body_encoding": "base64"}}"#,
        "[args, kwargs, embed]"
      ),
      (
        #"{"body": "%%%", "content-type": "application/json", "headers": {"task": "tasks.add", "id": "b2"}, "properties": {"body_encoding": "base64"}}"#,
        "base64"
      ),
      (
        #"{"body": "W1tdLCB7fSwge31d", "content-type": "application/json", "headers": {"task": "tasks.add", "id": "e1", "eta": "tomorrow"}, "properties": {"body_encoding": "base64"}}"#,
        "eta"
      ),
      (
        #"{"body": "W1tdLCB7fSwge31d", "content-type": "application/json", "headers": {"task": "tasks.add"}, "properties": {"body_encoding": "base64"}}"#,
        "no 'id' header"
      ),
    ])
  func badMessages(raw: String, expected: String) throws {
    do {
      _ = try CeleryProtocol.decode(raw, queue: "celery")
      Issue.record("decoded a bad message: \(raw)")
    } catch {
      #expect(error.reason.contains(expected), "\(error.reason)")
    }
  }

  @Test("A pickle message keeps its task id in the error, for the dead-letter entry")
  func pickleKeepsTaskID() {
    let raw =
      #"{"body": "gAR9lC4=", "content-type": "application/x-python-serialize", "headers": {"task": "tasks.add", "id": "p1"}, "properties": {}}"#
    #expect(throws: CeleryMessageError.self) { try CeleryProtocol.decode(raw, queue: "celery") }
    do {
      _ = try CeleryProtocol.decode(raw, queue: "celery")
    } catch {
      #expect(error.taskID == "p1")
    }
  }

  @Test("Celery's stored results decode: SUCCESS, FAILURE, WorkerLostError")
  func decodeResults() throws {
    let success = try CeleryResult.decode(CeleryCaptures.resultSuccessArgs, taskID: "x")
    #expect(success.taskID == "7b6065d8-3a30-4acb-a406-1c50fc21f85d")
    #expect(success.state == .success)
    #expect(success.result == 5)
    #expect(success.failure == nil)
    #expect(abs(success.dateDone.timeIntervalSince1970 - 1_795_542_493.973205) < 0.001)

    let failure = try CeleryResult.decode(CeleryCaptures.resultFailureBoom, taskID: "x")
    #expect(failure.state == .failure)
    #expect(failure.failure?.type == "ValueError")
    #expect(failure.failure?.message == "boom")
    #expect(failure.failure?.module == "builtins")
    #expect(failure.failure?.traceback?.contains("raise ValueError(\"boom\")") == true)
    #expect(failure.result == nil)

    let lost = try CeleryResult.decode(CeleryCaptures.resultWorkerLost, taskID: "x")
    #expect(
      lost.failure
        == TaskFailure.lostWorker("Worker exited prematurely: signal 9 (SIGKILL) Job: 0."))
  }

  @Test("Our SUCCESS result has Celery's keys and values")
  func encodeSuccess() throws {
    let record = TaskResultRecord(
      taskID: "7b6065d8-3a30-4acb-a406-1c50fc21f85d", state: .success, result: 5,
      dateDone: Date(timeIntervalSince1970: 1_795_542_493.973205))
    #expect(try json(CeleryResult.encode(record)) == json(CeleryCaptures.resultSuccessArgs))
    #expect(try roundTripped(record) == record)
  }

  @Test("Our WorkerLostError result is Celery's")
  func encodeWorkerLost() throws {
    let record = TaskResultRecord(
      taskID: "cc2886db-eed3-4dff-b557-fd57e93fd63a", state: .failure,
      failure: .lostWorker("Worker exited prematurely: signal 9 (SIGKILL) Job: 0."),
      dateDone: Date(timeIntervalSince1970: 1_795_543_926.879282))
    #expect(try json(CeleryResult.encode(record)) == json(CeleryCaptures.resultWorkerLost))
  }

  @Test("Failures name a module Python can resolve, or one that takes Celery's fallback")
  func exceptionModules() {
    func info(_ failure: TaskFailure) -> [String: JSONValue] {
      members(CeleryResult.exceptionInfo(failure))
    }
    #expect(info(TaskFailure(type: "ValueError", message: "boom"))["exc_module"] == "builtins")
    #expect(info(TaskFailure(type: "ValueError", message: "boom"))["exc_message"] == ["boom"])
    // Not a builtin exception: Python would raise SecurityError for builtins.print, and
    // AttributeError → fallback for an unknown name; both become the fallback.
    #expect(info(TaskFailure(type: "print", message: "x"))["exc_module"] == "celeriac")
    #expect(info(TaskFailure(type: "DecodingError", message: "x"))["exc_module"] == "celeriac")
    #expect(
      info(TaskFailure(type: "TimeLimitExceeded", message: "x", module: "celery.exceptions"))[
        "exc_module"] == "celery.exceptions")
    #expect(info(TaskFailure(type: "", message: "x", module: ""))["exc_type"] == "Exception")
  }

  @Test("Extended fields round trip: name, retries, children, custom states")
  func extendedFields() throws {
    let record = TaskResultRecord(
      taskID: "t1", state: .progress, result: ["current": 3, "total": 10],
      dateDone: Date(timeIntervalSince1970: 1_800_000_000.5), name: "tasks.progress",
      retries: 2, children: ["c1", "c2"])
    #expect(try roundTripped(record) == record)
    let revoked = TaskResultRecord(
      taskID: "t2", state: .revoked, dateDone: Date(timeIntervalSince1970: 1_800_000_000))
    #expect(try roundTripped(revoked) == revoked)
    #expect(throws: CeleriacError.self) { try CeleryResult.decode("[]", taskID: "t3") }
  }

  @Test("kombu's priority lists and binding member")
  func kombuNames() {
    #expect(
      CeleryProtocol.priorityQueues(of: "celery") == [
        "celery", "celery\u{06}\u{16}3", "celery\u{06}\u{16}6", "celery\u{06}\u{16}9",
      ])
    #expect(CeleryProtocol.bindingMember(of: "celery") == "celery\u{06}\u{16}\u{06}\u{16}celery")
  }

  @Test("a record's run details round-trip as Celery's result_extended members")
  func extendedResult() throws {
    var record = TaskResultRecord(
      taskID: "x1", state: .failure,
      failure: TaskFailure(type: "ValueError", message: "boom", traceback: "Traceback …"),
      name: "tasks.fail", retries: 2)
    record.args = ["a", 1]
    record.kwargs = ["k": true]
    record.queue = "q"
    record.worker = "w@h"
    record.pid = 123
    record.dateStarted = Date(timeIntervalSince1970: 1_795_593_600.25)
    record.children = ["c1", "c\"2"]
    record.headers = ["celeriac_beat_entry": "nightly"]
    let json = CeleryResult.encode(record)
    #expect(json.hasPrefix(#"{"status": "FAILURE", "result": {"#))
    #expect(json.contains(#""args": ["a", 1]"#))
    #expect(json.contains(#""worker": "w@h""#))
    #expect(json.contains(#""children": [[["c1", null], null], [["c\"2", null], null]]"#))
    #expect(try JSONValue(parsing: json)["celeriac_pid"] == 123)
    let decoded = try CeleryResult.decode(json, taskID: "x1")
    #expect(decoded.args == record.args)
    #expect(decoded.kwargs == record.kwargs)
    #expect(decoded.queue == "q")
    #expect(decoded.worker == "w@h")
    #expect(decoded.pid == 123)
    #expect(decoded.dateStarted == record.dateStarted)
    #expect(decoded.failure?.traceback == "Traceback …")
    #expect(decoded.children == record.children)
    #expect(decoded.headers == record.headers)
  }
}
