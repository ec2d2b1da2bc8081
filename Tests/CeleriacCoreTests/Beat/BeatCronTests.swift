import CeleriacCore
import Foundation
import Testing

/// Parsing and evaluating crontab expressions, in UTC and across DST changes.
@Suite("Beat: crontab expressions")
struct BeatCronTests {
  static let utc = TimeZone(identifier: "UTC")!
  static let berlin = TimeZone(identifier: "Europe/Berlin")!
  static let newYork = TimeZone(identifier: "America/New_York")!

  static func date(_ text: String) -> Date { ISO8601.parse(text)! }

  @Test(
    "bad expressions name the field and value",
    arguments: [
      ("61 * * * *", "minute value 61 is out of range 0-59"),
      ("* 24 * * *", "hour value 24 is out of range 0-23"),
      ("* * 0 * *", "day-of-month value 0 is out of range 1-31"),
      ("* * * 13 *", "month value 13 is out of range 1-12"),
      ("* * * * 8", "day-of-week value 8 is out of range 0-7"),
      ("* * * *", "has 4 fields"),
      ("*/0 * * * *", "minute step '0'"),
      ("* * * foo *", "month value 'foo'"),
      ("1,,2 * * * *", "minute field '1,,2' has an empty list item"),
      ("0 0 30 2 *", "never fires"),
      ("0 0 31 4,6,9,11 *", "never fires"),
    ])
  func rejects(expression: String, message: String) {
    #expect {
      _ = try CronExpression(expression)
    } throws: { error in
      guard let error = error as? BeatError else { return false }
      return error.code == .invalidCron && error.description.contains(message)
    }
  }

  @Test(
    "next fire in UTC",
    arguments: [
      ("*/15 * * * *", "2026-12-01T10:07:00Z", "2026-12-01T10:15:00Z"),
      ("*/15 * * * *", "2026-12-01T10:15:00Z", "2026-12-01T10:30:00Z"),
      ("0 7 * * mon", "2026-12-01T10:00:00Z", "2026-12-07T07:00:00Z"),
      ("0 7 * * MON-fri", "2026-12-04T08:00:00Z", "2026-12-07T07:00:00Z"),
      ("0 0 * * fri-mon", "2026-12-01T00:00:00Z", "2026-12-04T00:00:00Z"),
      ("0 0 * * 7", "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"),
      ("0 0 1 jan *", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"),
      ("30 22-2/2 * * *", "2026-12-01T23:00:00Z", "2026-12-02T00:30:00Z"),
      ("0 12 29 2 *", "2026-12-01T00:00:00Z", "2028-02-29T12:00:00Z"),
      ("5 4 1-7 * 2/3", "2026-12-01T05:00:00Z", "2026-12-02T04:05:00Z"),
      ("0 0 13 * fri", "2026-12-01T00:00:00Z", "2026-12-04T00:00:00Z"),
      ("0 0 13 * *", "2026-12-01T00:00:00Z", "2026-12-13T00:00:00Z"),
      ("0 0 */10 * *", "2026-12-01T00:00:00Z", "2026-12-11T00:00:00Z"),
    ])
  func nextFireUTC(expression: String, after: String, expected: String) throws {
    let cron = try CronExpression(expression)
    #expect(cron.nextFire(after: Self.date(after), in: Self.utc) == Self.date(expected))
  }

  /// Every fire of `expression` in `zone` between two instants.
  static func fires(_ expression: String, in zone: TimeZone, from: String, to: String) throws
    -> [Date]
  {
    let cron = try CronExpression(expression)
    var fires: [Date] = []
    var cursor = date(from)
    while let next = cron.nextFire(after: cursor, in: zone), next < date(to) {
      fires.append(next)
      cursor = next
    }
    return fires
  }

  @Test("a daily 02:30 in Berlin runs once on the spring-forward day, when the clock jumps")
  func springForward() throws {
    // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC); 02:30 does not exist.
    let fires = try Self.fires(
      "30 2 * * *", in: Self.berlin, from: "2026-03-28T12:00:00Z", to: "2026-03-30T12:00:00Z")
    #expect(fires == [Self.date("2026-03-29T01:00:00Z"), Self.date("2026-03-30T00:30:00Z")])
  }

  @Test("a daily 02:30 in Berlin runs once (not twice) on the fall-back day")
  func fallBack() throws {
    // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC.
    let fires = try Self.fires(
      "30 2 * * *", in: Self.berlin, from: "2026-10-24T12:00:00Z", to: "2026-10-26T12:00:00Z")
    #expect(fires == [Self.date("2026-10-25T00:30:00Z"), Self.date("2026-10-26T01:30:00Z")])
  }

  @Test(
    "an hourly job stays hourly in real time across DST changes",
    arguments: [
      ("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 23),  // Berlin's 23-hour day
      ("2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 25),  // Berlin's 25-hour day
    ])
  func hourly(from: String, to: String, count: Int) throws {
    let fires = try Self.fires("30 * * * *", in: Self.berlin, from: from, to: to)
    #expect(fires.count == count)
    #expect(zip(fires, fires.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 3_600 })
  }

  @Test(
    "Lord Howe Island's 30-minute fall-back: with any hour, a repeated minute fires at both occurrences, even from between them"
  )
  func lordHowe() throws {
    // 2026-04-05 02:00 +11 becomes 01:30 +10:30 (15:00 UTC): 01:30-01:59 happen twice.
    let zone = TimeZone(identifier: "Australia/Lord_Howe")!
    let fromBefore = try Self.fires(
      "20-31 * * * *", in: zone, from: "2026-04-04T14:29:00Z", to: "2026-04-04T15:02:00Z")
    #expect(
      fromBefore == ["14:30", "14:31", "15:00", "15:01"].map { Self.date("2026-04-04T\($0):00Z") })
    // From 01:46 of the first pass the second 01:30 and 01:31 still come (croniter skips them
    // for this expression but not for `30 * * * *`).
    let fromBetween = try Self.fires(
      "20-31 * * * *", in: zone, from: "2026-04-04T14:46:52Z", to: "2026-04-04T15:02:00Z")
    #expect(fromBetween == ["15:00", "15:01"].map { Self.date("2026-04-04T\($0):00Z") })
    // With a fixed hour, the repeated time fires once, at its first occurrence.
    let daily = try Self.fires(
      "45 1 * * *", in: zone, from: "2026-04-04T12:00:00Z", to: "2026-04-05T12:00:00Z")
    #expect(daily == [Self.date("2026-04-04T14:45:00Z")])
  }

  @Test("New York: 02:30 on spring-forward runs at 03:00 EDT; on fall-back once at 02:30 EDT")
  func newYork() throws {
    let spring = try Self.fires(
      "30 2 * * *", in: Self.newYork, from: "2026-03-08T00:00:00Z", to: "2026-03-09T00:00:00Z")
    #expect(spring == [Self.date("2026-03-08T07:00:00Z")])
    let fall = try Self.fires(
      "30 1 * * *", in: Self.newYork, from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z")
    #expect(fall == [Self.date("2026-11-01T05:30:00Z")])
  }

  @Test("0 and 7 are both Sunday; day-of-month and day-of-week combine with OR when both set")
  func dayRules() throws {
    let sundays = try Self.fires(
      "0 0 * * 0", in: Self.utc, from: "2026-11-30T12:00:00Z", to: "2026-12-31T00:00:00Z")
    let sevens = try Self.fires(
      "0 0 * * 7", in: Self.utc, from: "2026-11-30T12:00:00Z", to: "2026-12-31T00:00:00Z")
    #expect(sundays == sevens)
    #expect(sundays.count == 4)
    let either = try Self.fires(
      "0 0 1 * mon", in: Self.utc, from: "2026-11-30T12:00:00Z", to: "2027-01-02T00:00:00Z")
    // Mondays of December 2026 (7, 14, 21, 28) and the 1sts of December and January.
    #expect(either.count == 6)
  }
}
