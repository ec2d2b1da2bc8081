import Foundation

extension CronExpression {
  /// How many years ahead ``nextFire(after:in:)`` looks before it gives up; enough for any
  /// expression that fires at all (29 February of a chosen weekday recurs within 28 years).
  public static let searchHorizonYears = 30

  /// The first instant strictly after `instant` at which the expression fires in `zone`.
  ///
  /// Wall-clock times are read in `zone`, with its daylight-saving rules:
  /// - a time that a spring-forward change skips fires once, at the instant the clocks jump
  ///   (02:30 on the night 02:00 becomes 03:00 fires at 03:00) — unless the hour field is
  ///   unrestricted, which keeps an hourly job hourly in real time and so skips it, as cron
  ///   and croniter do;
  /// - a time that a fall-back change repeats fires once, at its first occurrence — unless
  ///   the hour field is unrestricted, when it fires at both (an hourly job runs every hour).
  ///
  /// Returns `nil` only if it never fires within ``searchHorizonYears``.
  public func nextFire(after instant: Date, in zone: TimeZone) -> Date? {
    let startWall = CivilTime.wallSeconds(of: instant, in: zone)
    let firstDay = Int((Double(startWall) / 86_400).rounded(.down)) - 1
    let lastDay = firstDay + Self.searchHorizonYears * 366
    var dayNumber = firstDay
    while dayNumber <= lastDay {
      let date = CivilTime.day(dayNumber)
      guard months.contains[date.month] else {
        // Jump to the first of the next month.
        let next =
          date.month == 12
          ? CivilTime.Day(year: date.year + 1, month: 1, day: 1)
          : CivilTime.Day(year: date.year, month: date.month + 1, day: 1)
        dayNumber = CivilTime.dayNumber(next)
        continue
      }
      if matchesDay(month: date.month, day: date.day, weekday: CivilTime.weekday(dayNumber)),
        let fire = firstFire(onDay: dayNumber, after: instant, in: zone)
      {
        return fire
      }
      dayNumber += 1
    }
    return nil
  }

  /// The earliest instant after `instant` among the day's wall-clock times.
  private func firstFire(onDay dayNumber: Int, after instant: Date, in zone: TimeZone) -> Date? {
    let midnight = dayNumber * 86_400
    let threshold = instant.timeIntervalSince1970
    // The offsets in force a day either side bound every offset of this day (transitions are
    // months apart), so a wall time maps to an instant in [wall - highest, wall - lowest]:
    // walls that cannot reach past the threshold, or past the best so far, are not resolved.
    let offsets = [-86_400, 2 * 86_400].map {
      zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(midnight + $0)))
    }
    let lowest = offsets.min()!
    let highest = offsets.max()!
    var best: Date?
    for hour in hours.values {
      for minute in minutes.values {
        let wall = midnight + hour * 3_600 + minute * 60
        if Double(wall - lowest) <= threshold { continue }
        if let best, Double(wall - highest) > best.timeIntervalSince1970 { return best }
        for candidate in instants(forWall: wall, in: zone)
        where candidate.timeIntervalSince1970 > threshold {
          if best.map({ candidate < $0 }) ?? true { best = candidate }
        }
      }
    }
    return best
  }

  /// The instants one wall-clock time fires at, by the DST rules of ``nextFire(after:in:)``.
  private func instants(forWall wall: Int, in zone: TimeZone) -> [Date] {
    switch CivilTime.resolve(wall: wall, in: zone) {
    case .unique(let instant): return [instant]
    case .repeated(let first, let second): return hasWildcardHour ? [first, second] : [first]
    case .skipped(let transition): return hasWildcardHour ? [] : [transition]
    }
  }
}
