/// A schedule that cannot be used: a bad cron field, an unknown time zone, an entry with both
/// or neither of `every` and `cron`, two entries with one name, an unknown field.
///
/// Its description is one line naming the entry and the field, e.g.
/// `schedule entry 'weekly-report': field 'cron': minute value 61 is out of range 0-59`.
public struct BeatError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What kind of problem this is.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private enum Kind: String {
      case invalidCron, unknownTimeZone, invalidEntry, duplicateEntry, unknownField
      case invalidFile, unknownEntry
    }
    private let kind: Kind

    /// A crontab expression that cannot be parsed or can never fire.
    public static let invalidCron = Code(kind: .invalidCron)
    /// A `timezone` that is not an IANA zone name known to this machine.
    public static let unknownTimeZone = Code(kind: .unknownTimeZone)
    /// An entry whose fields do not make a schedule (both or neither of `every` and `cron`,
    /// a non-positive interval, `end` before `start`, a missing name or task, …).
    public static let invalidEntry = Code(kind: .invalidEntry)
    /// Two entries with one name.
    public static let duplicateEntry = Code(kind: .duplicateEntry)
    /// A field the schedule format does not have (a typo is never silently ignored).
    public static let unknownField = Code(kind: .unknownField)
    /// A schedule file that cannot be read or is not JSON of the expected shape.
    public static let invalidFile = Code(kind: .invalidFile)
    /// A name that no entry has (`celeriac beat enable NAME`, …).
    public static let unknownEntry = Code(kind: .unknownEntry)

    /// The code's name.
    public var description: String { kind.rawValue }
  }

  /// What kind of problem this is.
  public var code: Code
  /// The schedule file, when the problem is in one.
  public var file: String?
  /// The entry's name, when the problem is in one entry.
  public var entry: String?
  /// The field's name, when the problem is in one field.
  public var field: String?
  /// What is wrong, without the entry and field (those are in ``description``).
  public var reason: String

  /// Creates an error.
  public init(_ code: Code, entry: String? = nil, field: String? = nil, _ reason: String) {
    self.code = code
    self.entry = entry
    self.field = field
    self.reason = reason
  }

  /// One line: `[FILE: ]schedule entry 'NAME': field 'FIELD': REASON`.
  public var description: String {
    var parts: [String] = []
    if let file { parts.append(file) }
    if let entry { parts.append("schedule entry '\(entry)'") }
    if let field { parts.append("field '\(field)'") }
    parts.append(reason)
    return parts.joined(separator: ": ")
  }

  /// The same problem, attributed to `entry` and `field` where it did not name them yet.
  public func naming(entry: String?, field: String?) -> BeatError {
    var copy = self
    copy.entry = copy.entry ?? entry
    copy.field = copy.field ?? field
    return copy
  }
}
