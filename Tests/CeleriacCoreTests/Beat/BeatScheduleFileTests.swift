import CeleriacCore
import Foundation
import Testing

/// Reading schedule files: the issue's example, and every kind of bad input.
@Suite("Beat: schedule files")
struct BeatScheduleFileTests {
  static func load(_ json: String) throws -> BeatSchedule {
    try BeatSchedule(json: Data(json.utf8))
  }

  @Test("the issue's example loads")
  func example() throws {
    let schedule = try Self.load(
      """
      {"entries":[{"name":"tick","task":"tasks.add","args":[1,2],"every":1},
      {"name":"weekly-report","task":"tasks.report","cron":"0 7 * * mon","timezone":"Europe/Berlin"}]}
      """)
    #expect(schedule.entries.map(\.name) == ["tick", "weekly-report"])
    #expect(schedule["tick"]?.trigger == .every(seconds: 1))
    #expect(schedule["tick"]?.args == [1, 2])
    #expect(schedule["weekly-report"]?.missedRuns == .once)
    guard case .cron(let cron, let zone)? = schedule["weekly-report"]?.trigger else {
      Issue.record("not a cron entry")
      return
    }
    #expect(cron.description == "0 7 * * mon")
    #expect(zone.identifier == "Europe/Berlin")
  }

  @Test(
    "bad input is one line naming the entry and the field",
    arguments: [
      (
        #"{"entries":[{"name":"a","task":"t","every":1,"evry":2}]}"#,
        "schedule entry 'a': field 'evry': is not a schedule entry field"
      ),
      (
        #"{"entries":[{"name":"a","task":"t","cron":"61 * * * *"}]}"#,
        "schedule entry 'a': field 'cron': minute value 61 is out of range 0-59"
      ),
      (
        #"{"entries":[{"name":"a","task":"t","cron":"0 7 * * *","timezone":"Mars/Olympus"}]}"#,
        "schedule entry 'a': field 'timezone': 'Mars/Olympus' is not a known IANA time zone"
      ),
      (
        #"{"entries":[{"name":"a","task":"t","every":1,"cron":"* * * * *"}]}"#,
        "schedule entry 'a': field 'cron': an entry has 'every' or 'cron', not both"
      ),
      (
        #"{"entries":[{"name":"a","task":"t"}]}"#,
        "schedule entry 'a': field 'every': an entry needs one of 'every' and 'cron'"
      ),
      (
        #"{"entries":[{"name":"a","task":"t","every":1},{"name":"a","task":"u","every":2}]}"#,
        "schedule entry 'a': field 'name': two entries have this name"
      ),
      (
        #"{"entries":[{"name":"a","task":"t","every":-1}]}"#,
        "schedule entry 'a': field 'every': must be a positive number of seconds"
      ),
      (
        #"{"entries":[{"name":"a","task":"t","every":1,"missed_runs":"all"}]}"#,
        "schedule entry 'a': field 'missed_runs': 'all' is not one of once, skip"
      ),
      (
        #"{"entries":[{"task":"t","every":1}]}"#,
        "schedule entry '#1': field 'name': is missing"
      ),
      (#"{"entries":[], "extra": 1}"#, "field 'extra': is not a schedule file field"),
      (#"[1]"#, "a schedule file is a JSON object"),
    ])
  func rejects(json: String, message: String) {
    #expect {
      _ = try Self.load(json)
    } throws: { error in
      let description = (error as? BeatError)?.description ?? "\(error)"
      return description.hasPrefix(message) && !description.contains("\n")
    }
  }

  @Test("a file error names the file")
  func namesTheFile() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "beat-\(UUID().uuidString).json"
    ).path
    try Data(#"{"entries":[{"name":"a","task":"t","every":0}]}"#.utf8).write(
      to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect {
      _ = try BeatSchedule.load(contentsOf: path)
    } throws: { error in
      (error as? BeatError)?.description.hasPrefix("\(path): schedule entry 'a': field 'every'")
        == true
    }
  }

  @Test("an entry survives its JSON round trip (how dynamic entries are stored)")
  func roundTrip() throws {
    let entry = try ScheduleEntry(
      json: [
        "name": "r", "task": "tasks.report", "args": [1, "x"], "kwargs": ["k": true],
        "cron": "0 7 * * mon", "timezone": "Europe/Berlin", "queue": "reports",
        "start": "2026-12-01T00:00:00Z", "missed_runs": "skip", "expires": 30,
      ])
    #expect(try ScheduleEntry(json: entry.json) == entry)
  }
}
