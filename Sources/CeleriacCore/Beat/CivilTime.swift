import Foundation

/// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), and the
/// mapping between a zone's wall-clock time and instants, written out so that the cron
/// evaluator never depends on how a platform's `Calendar` resolves a time a DST change skips
/// or repeats.
enum CivilTime {
  /// A calendar date.
  struct Day: Equatable {
    var year: Int
    var month: Int
    var day: Int
  }

  /// How a wall-clock time maps onto instants in a zone.
  enum Resolution: Equatable {
    /// The usual case: one instant.
    case unique(Date)
    /// The time occurs twice (clocks went back): the earlier and the later instant.
    case repeated(Date, Date)
    /// The time does not occur (clocks went forward): the instant the clocks jumped, i.e. the
    /// first instant after the gap.
    case skipped(transition: Date)
  }

  /// The day number of a date (Howard Hinnant's `days_from_civil`).
  static func dayNumber(_ date: Day) -> Int {
    let year = date.month <= 2 ? date.year - 1 : date.year
    let era = (year >= 0 ? year : year - 399) / 400
    let yearOfEra = year - era * 400
    let monthIndex = (date.month + 9) % 12
    let dayOfYear = (153 * monthIndex + 2) / 5 + date.day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The date of a day number (Howard Hinnant's `civil_from_days`).
  static func day(_ number: Int) -> Day {
    let shifted = number + 719_468
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    return Day(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
  }

  /// The day of the week of a day number, 0 = Sunday (1970-01-01 was a Thursday).
  static func weekday(_ number: Int) -> Int {
    ((number + 4) % 7 + 7) % 7
  }

  /// The wall-clock time at `instant` in `zone`, as seconds since 1970-01-01 00:00 of that
  /// wall clock.
  static func wallSeconds(of instant: Date, in zone: TimeZone) -> Int {
    let seconds = Int(instant.timeIntervalSince1970.rounded(.down))
    return seconds + zone.secondsFromGMT(for: instant)
  }

  /// The instants at which `zone`'s clock shows `wall` (seconds since 1970-01-01 00:00 of the
  /// wall clock).
  static func resolve(wall: Int, in zone: TimeZone) -> Resolution {
    // Any solution t of t + offset(t) = wall lies within 14 hours of `wall` read as UTC, so
    // the offsets a day either side are those before and after any transition near it
    // (transitions are months apart); every solution uses one of them.
    let before = zone.secondsFromGMT(for: date(wall - 86_400))
    let after = zone.secondsFromGMT(for: date(wall + 86_400))
    let solutions = Set([before, after]).compactMap { offset -> Int? in
      let candidate = wall - offset
      return zone.secondsFromGMT(for: date(candidate)) == offset ? candidate : nil
    }.sorted()
    switch solutions.count {
    case 1: return .unique(date(solutions[0]))
    case 2: return .repeated(date(solutions[0]), date(solutions[1]))
    default:
      // A gap: the clock jumped from `before` to `after` (after > before) somewhere between
      // wall - after and wall - before. Find the instant by bisection on the offset.
      var low = wall - after
      var high = wall - before
      while high - low > 1 {
        let middle = low + (high - low) / 2
        if zone.secondsFromGMT(for: date(middle)) == before { low = middle } else { high = middle }
      }
      return .skipped(transition: date(high))
    }
  }

  private static func date(_ seconds: Int) -> Date {
    Date(timeIntervalSince1970: TimeInterval(seconds))
  }
}
