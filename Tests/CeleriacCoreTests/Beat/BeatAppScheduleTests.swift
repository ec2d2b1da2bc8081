import Celeriac
import CeleriacCore
import Foundation
import Testing

/// `app.schedule(...)` from Swift, and the message beat builds for a due time.
@Suite("Beat: app.schedule from Swift")
struct BeatAppScheduleTests {
  @Test("entries declared on the app, with one-line errors")
  func declares() throws {
    let app = CeleriacApp(name: "schedule-tests")
    try app.schedule("tick", task: "tasks.add", args: [1, 2], every: .milliseconds(1_500))
    try app.schedule(
      "weekly-report", task: "tasks.report", cron: "0 7 * * mon", timeZone: "Europe/Berlin")
    #expect(app.beatSchedule.entries.map(\.name) == ["tick", "weekly-report"])
    #expect(app.beatSchedule["tick"]?.trigger == .every(seconds: 1.5))
    #expect {
      try app.schedule("tick", task: "tasks.add", every: .seconds(1))
    } throws: {
      ($0 as? BeatError)?.description
        == "schedule entry 'tick': field 'name': two entries have this name"
    }
    #expect {
      try app.schedule("bad", task: "tasks.add", cron: "0 25 * * *")
    } throws: {
      ($0 as? BeatError)?.description
        == "schedule entry 'bad': field 'cron': hour value 25 is out of range 0-23"
    }
    #expect {
      try app.schedule("zone", task: "tasks.add", cron: "0 7 * * *", timeZone: "Moon/Base")
    } throws: { ($0 as? BeatError)?.code == .unknownTimeZone }
    #expect(app.beatSchedule.entries.count == 2)
  }

  @Test("a beat message carries entry and due time, an id derived from both, the entry's options")
  func message() throws {
    let app = CeleriacApp(name: "schedule-tests")
    let entry = ScheduleEntry(
      name: "tick", task: "tasks.add", args: [1, 2], queue: "beat", trigger: .every(seconds: 1),
      expires: 30)
    let due = Date(timeIntervalSince1970: 1_796_000_000)
    let message = app.beatMessage(for: entry, due: due)
    #expect(message.id == BeatTaskID.make(entry: "tick", due: due))
    #expect(message.queue == "beat")
    #expect(message.args == [1, 2])
    #expect(message.expires == due.addingTimeInterval(30))
    #expect(message.headers?[BeatDefaults.entryHeader] == "tick")
    #expect(message.headers?[BeatDefaults.dueHeader] == .string(ISO8601.format(due)))
  }
}
