/// A crontab expression with the meaning of Celery's `crontab()` and cron(8): five fields,
/// `minute hour day-of-month month day-of-week`.
///
/// Each field is a comma-separated list of `*`, a value, a range `a-b`, or a step `*/n`,
/// `a-b/n`, `a/n` (from `a` to the field's maximum). Months may be named `jan`…`dec`, days of
/// the week `sun`…`sat` (0 and 7 are both Sunday); names are case-insensitive. A range whose
/// end is below its start wraps around (`fri-mon`, `22-2`), as in Celery.
///
/// When both day-of-month and day-of-week are restricted (neither covers its whole range), a
/// day matches if *either* matches, as in cron: `0 0 1 * mon` is midnight on the 1st and on
/// every Monday. When one is unrestricted, only the other decides.
///
/// Evaluating it against a time zone is ``nextFire(after:in:)``.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
  /// One of the five fields.
  struct Field: Sendable, Hashable {
    /// The values it matches, ascending.
    let values: [Int]
    /// Whether it matches every value of its range (`*`, `*/1`, `0-6` for days of the week).
    let isUnrestricted: Bool
    /// Membership by value, for the day checks.
    let contains: [Bool]
  }

  /// The minutes, 0-59.
  let minutes: Field
  /// The hours, 0-23.
  let hours: Field
  /// The days of the month, 1-31.
  let daysOfMonth: Field
  /// The months, 1-12.
  let months: Field
  /// The days of the week, 0-6 with 0 = Sunday.
  let daysOfWeek: Field

  /// The expression as written (whitespace normalised).
  public let description: String

  /// Parses a five-field expression.
  ///
  /// - Throws: ``BeatError`` `.invalidCron` naming the field and the bad value, e.g.
  ///   `minute value 61 is out of range 0-59`, or saying that the expression can never fire
  ///   (`0 0 30 2 *`).
  public init(_ text: String) throws(BeatError) {
    let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    guard parts.count == 5 else {
      throw BeatError(
        .invalidCron,
        "'\(text)' has \(parts.count) fields; a crontab has 5: minute hour day-of-month month day-of-week"
      )
    }
    minutes = try Self.parse(parts[0], .minute)
    hours = try Self.parse(parts[1], .hour)
    daysOfMonth = try Self.parse(parts[2], .dayOfMonth)
    months = try Self.parse(parts[3], .month)
    daysOfWeek = try Self.parse(parts[4], .dayOfWeek)
    description = parts.joined(separator: " ")
    // When day-of-week is unrestricted, day-of-month alone picks the days: some chosen month
    // must have the earliest chosen day (29 February counts: it comes every four years).
    guard daysOfWeek.isUnrestricted, let earliest = daysOfMonth.values.first else { return }
    let longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    guard months.values.contains(where: { longest[$0 - 1] >= earliest }) else {
      throw BeatError(.invalidCron, "'\(description)' never fires: no chosen month has that day")
    }
  }

  /// Whether the date `year-month-day` (a day of the week `weekday`, 0 = Sunday) is a day the
  /// expression fires on.
  func matchesDay(month: Int, day: Int, weekday: Int) -> Bool {
    guard months.contains[month] else { return false }
    let domRestricted = !daysOfMonth.isUnrestricted
    let dowRestricted = !daysOfWeek.isUnrestricted
    if domRestricted && dowRestricted {
      return daysOfMonth.contains[day] || daysOfWeek.contains[weekday]
    }
    return daysOfMonth.contains[day] && daysOfWeek.contains[weekday]
  }

  /// Whether the hour field is unrestricted: wall-clock times that a DST change skips are then
  /// skipped, and repeated ones fire twice (an hourly job stays hourly in real time); with a
  /// fixed hour a skipped time fires once when the clock jumps, and a repeated one once.
  var hasWildcardHour: Bool { hours.isUnrestricted }

  // MARK: - Parsing

  enum Kind: String {
    case minute, hour, dayOfMonth = "day-of-month", month, dayOfWeek = "day-of-week"

    var range: ClosedRange<Int> {
      switch self {
      case .minute: 0...59
      case .hour: 0...23
      case .dayOfMonth: 1...31
      case .month: 1...12
      case .dayOfWeek: 0...6
      }
    }

    var names: [String] {
      switch self {
      case .month:
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
      case .dayOfWeek: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
      default: []
      }
    }
  }

  private static func parse(_ text: String, _ kind: Kind) throws(BeatError) -> Field {
    let range = kind.range
    var set = Set<Int>()
    for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
      guard !item.isEmpty else {
        throw BeatError(.invalidCron, "\(kind.rawValue) field '\(text)' has an empty list item")
      }
      set.formUnion(try parseItem(item, kind))
    }
    if kind == .dayOfWeek, set.remove(7) != nil { set.insert(0) }
    var contains = [Bool](repeating: false, count: range.upperBound + 2)
    for value in set { contains[value] = true }
    return Field(
      values: set.sorted(), isUnrestricted: range.allSatisfy(set.contains), contains: contains)
  }

  private static func parseItem(_ item: String, _ kind: Kind) throws(BeatError) -> [Int] {
    let range = kind.range
    let maximum = kind == .dayOfWeek ? 7 : range.upperBound
    let pieces = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard pieces.count <= 2 else {
      throw BeatError(.invalidCron, "\(kind.rawValue) item '\(item)' has more than one '/'")
    }
    var step = 1
    if pieces.count == 2 {
      guard let value = Int(pieces[1]), value > 0 else {
        throw BeatError(
          .invalidCron, "\(kind.rawValue) step '\(pieces[1])' in '\(item)' is not a positive number"
        )
      }
      step = value
    }
    let base = pieces[0]
    let first: Int
    let last: Int
    if base == "*" {
      (first, last) = (range.lowerBound, range.upperBound)
    } else if let dash = base.firstIndex(of: "-"), dash != base.startIndex {
      first = try value(String(base[..<dash]), kind, in: item, maximum: maximum)
      last = try value(String(base[base.index(after: dash)...]), kind, in: item, maximum: maximum)
    } else {
      first = try value(base, kind, in: item, maximum: maximum)
      last = pieces.count == 2 ? range.upperBound : first
    }
    if first <= last { return Array(stride(from: first, through: last, by: step)) }
    // A wrapping range, e.g. fri-mon or 22-2: from `first` to the maximum, then on from the
    // minimum, stepping through the sequence as one.
    let top = kind == .dayOfWeek ? 6 : range.upperBound
    let sequence = Array(first...max(first, top)) + Array(range.lowerBound...min(last, top))
    return stride(from: 0, to: sequence.count, by: step).map { sequence[$0] }
  }

  private static func value(_ text: String, _ kind: Kind, in item: String, maximum: Int)
    throws(BeatError) -> Int
  {
    let range = kind.range
    if let number = Int(text) {
      guard number >= range.lowerBound && number <= maximum else {
        throw BeatError(
          .invalidCron,
          "\(kind.rawValue) value \(number) is out of range \(range.lowerBound)-\(maximum)")
      }
      return number
    }
    if let index = kind.names.firstIndex(of: text.lowercased()) {
      return kind == .month ? index + 1 : index
    }
    let expected = kind.names.isEmpty ? "a number" : "a number or a name (\(kind.names.first!)…)"
    throw BeatError(
      .invalidCron, "\(kind.rawValue) value '\(text)' in '\(item)' is not \(expected)")
  }
}
