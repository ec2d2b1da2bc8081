import Foundation
import Testing

@testable import CeleriacCore

/// Next-fire times against Python's croniter, over many random expressions, zones and start
/// times, with start times near DST changes included. The seed is printed; set
/// `CELERIAC_PROPERTY_SEED` to replay a run.
@Suite("Beat: crontab against croniter")
struct BeatCroniterPropertyTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let python = root.appendingPathComponent(".venv/bin/python").path
  static let helper = root.appendingPathComponent("Scripts/beat/croniter_next.py").path

  /// Zones with whole-hour DST changes, and offsets that are not whole hours. Not Lord Howe
  /// Island, whose clocks move by 30 minutes: there croniter's answer after the first pass of
  /// the repeated half hour depends on the minute list (`30 * * * *` after 01:46 fires at the
  /// second 01:30, `20-31 * * * *` does not), so no fixed rule can agree with it; our rule
  /// for that zone is pinned in `BeatCronTests`.
  static let zones = [
    "UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "America/Sao_Paulo",
    "Asia/Kolkata", "Pacific/Chatham", "America/Santiago", "Europe/London",
  ]

  /// A small deterministic generator (splitmix64), so that a seed replays a run.
  struct Random {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9e37_79b9_7f4a_7c15
      var value = state
      value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
      value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
      return value ^ (value >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
      range.lowerBound + Int(next() % UInt64(range.count))
    }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
  }

  /// One field: a list of `*`, `*/n`, values, ranges and stepped ranges, never covering the
  /// whole range by a range (croniter and cron disagree on whether `1-31` restricts).
  static func field(_ range: ClosedRange<Int>, names: [String] = [], _ random: inout Random)
    -> String
  {
    func value() -> String {
      let number = random.int(range)
      if !names.isEmpty && random.chance(30) {
        return names[number - range.lowerBound]
      }
      return String(number)
    }
    if random.chance(35) { return "*" }
    if random.chance(15) { return "*/\(random.int(2...max(2, range.count / 3)))" }
    var items: [String] = []
    for _ in 0..<random.int(1...3) {
      switch random.int(0...3) {
      case 0, 1: items.append(value())
      case 2:
        let low = random.int(range.lowerBound...(range.upperBound - 1))
        let high = random.int((low + 1)...range.upperBound)
        if low == range.lowerBound && high == range.upperBound {
          items.append(value())
        } else {
          items.append("\(low)-\(high)")
        }
      default:
        let low = random.int(range.lowerBound...(range.upperBound - 1))
        let high = random.int((low + 1)...range.upperBound)
        items.append("\(low)-\(high)/\(random.int(2...5))")
      }
    }
    return items.joined(separator: ",")
  }

  /// A random expression. Day fields that list every day without `*` (`1-6,0`) are left
  /// out: Celeriac reads them as unrestricted, croniter (and cron, by syntax) as restricted.
  static func expression(_ random: inout Random) -> String {
    while true {
      let text = anyExpression(&random)
      guard let cron = try? CronExpression(text) else { return text }
      let fields = text.split(separator: " ")
      if cron.daysOfMonth.isUnrestricted && !fields[2].hasPrefix("*") { continue }
      if cron.daysOfWeek.isUnrestricted && !fields[4].hasPrefix("*") { continue }
      return text
    }
  }

  static func anyExpression(_ random: inout Random) -> String {
    let months = [
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    return [
      field(0...59, &random), field(0...23, &random), field(1...31, &random),
      field(1...12, names: months, &random), field(0...6, names: days, &random),
    ].joined(separator: " ")
  }

  /// Instants within a few hours before a DST change of `zone` in 2026, found by bisection on
  /// the offset between day-long steps.
  static func transitions(in zone: TimeZone) -> [Double] {
    var found: [Double] = []
    var previous = 1_767_225_600.0  // 2026-01-01
    for day in 1...365 {
      let current = 1_767_225_600.0 + Double(day) * 86_400
      let before = zone.secondsFromGMT(for: Date(timeIntervalSince1970: previous))
      if zone.secondsFromGMT(for: Date(timeIntervalSince1970: current)) != before {
        var low = previous
        var high = current
        while high - low > 1 {
          let middle = (low + high) / 2
          if zone.secondsFromGMT(for: Date(timeIntervalSince1970: middle)) == before {
            low = middle
          } else {
            high = middle
          }
        }
        found.append(high)
      }
      previous = current
    }
    return found
  }

  struct Case: Codable {
    var expr: String
    var tz: String
    var start: Double
    var count: Int
  }

  struct Reference: Codable {
    var fires: [Double]?
    var error: String?
  }

  @Test("next fires agree with croniter over random expressions, zones and DST days")
  func agreesWithCroniter() throws {
    guard FileManager.default.isExecutableFile(atPath: Self.python) else {
      Issue.record("\(Self.python) is missing: run ./Scripts/install-dependencies")
      return
    }
    let environment = ProcessInfo.processInfo.environment
    let seed =
      environment["CELERIAC_PROPERTY_SEED"].flatMap { UInt64($0) }
      ?? UInt64.random(in: 1...UInt64.max / 2)
    print("croniter property test seed: \(seed) (CELERIAC_PROPERTY_SEED=\(seed) replays it)")
    var random = Random(state: seed)
    let caseCount = Int(environment["CELERIAC_PROPERTY_CASES"] ?? "") ?? 600
    var cases: [Case] = []
    let transitionsByZone = Dictionary(
      uniqueKeysWithValues: Self.zones.map { ($0, Self.transitions(in: TimeZone(identifier: $0)!)) }
    )
    for index in 0..<caseCount {
      let zone = Self.zones[random.int(0...(Self.zones.count - 1))]
      var start = Double(random.int(1_767_225_600...1_830_297_600))  // 2026-2027
      // Half the cases start within six hours before a DST change of their zone.
      if index % 2 == 0, let changes = transitionsByZone[zone], !changes.isEmpty {
        start = changes[random.int(0...(changes.count - 1))] - Double(random.int(0...21_600))
      }
      cases.append(Case(expr: Self.expression(&random), tz: zone, start: start, count: 5))
    }
    let references = try Self.croniter(cases)
    var mismatches: [String] = []
    for (item, reference) in zip(cases, references) {
      let ours: [Double]
      do {
        let cron = try CronExpression(item.expr)
        var cursor = Date(timeIntervalSince1970: item.start)
        var fires: [Double] = []
        for _ in 0..<item.count {
          guard let next = cron.nextFire(after: cursor, in: TimeZone(identifier: item.tz)!) else {
            break
          }
          fires.append(next.timeIntervalSince1970)
          cursor = next
        }
        ours = fires
      } catch {
        if reference.error == nil { mismatches.append("\(item.expr): we reject it: \(error)") }
        continue
      }
      guard let theirs = reference.fires else {
        mismatches.append("\(item.expr) in \(item.tz): croniter failed: \(reference.error ?? "")")
        continue
      }
      if ours != theirs {
        let format = { (values: [Double]) in
          values.map { ISO8601.format(Date(timeIntervalSince1970: $0)) }.joined(separator: ", ")
        }
        mismatches.append(
          "'\(item.expr)' in \(item.tz) after \(format([item.start])): ours [\(format(ours))] croniter [\(format(theirs))]"
        )
      }
    }
    #expect(
      mismatches.isEmpty,
      "seed \(seed): \(mismatches.count) of \(cases.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))"
    )
  }

  static func croniter(_ cases: [Case]) throws -> [Reference] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [helper]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    var text = ""
    for item in cases { text += try JSONCoding.encodeString(item) + "\n" }
    // Write from another thread so that neither pipe can fill and block the other side.
    let payload = Data(text.utf8)
    let writer = Thread {
      input.fileHandleForWriting.write(payload)
      try? input.fileHandleForWriting.close()
    }
    writer.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
    guard process.terminationStatus == 0, lines.count == cases.count else {
      throw CeleriacError(
        .invalidConfiguration,
        "\(helper) failed (status \(process.terminationStatus), \(lines.count) lines): is croniter installed? run ./Scripts/install-dependencies"
      )
    }
    return try lines.map { try JSONCoding.decode(Reference.self, from: String($0)) }
  }
}
