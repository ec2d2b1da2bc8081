import Foundation

/// The entries one beat publishes: from a schedule file, from `app.schedule(...)`, and the
/// dynamic ones stored in the broker. Names are unique.
public struct BeatSchedule: Sendable, Equatable {
  /// The fields of a schedule file's top-level object.
  public static let fileFields: Set<String> = ["entries"]

  /// The entries, in the order given.
  public private(set) var entries: [ScheduleEntry]

  /// A schedule of `entries`, validated.
  ///
  /// - Throws: ``BeatError`` for the first invalid entry or repeated name.
  public init(entries: [ScheduleEntry] = []) throws(BeatError) {
    self.entries = entries
    try validate()
  }

  /// Checks every entry and that no two share a name.
  ///
  /// - Throws: ``BeatError`` `.invalidEntry` or `.duplicateEntry` naming the entry and field.
  public func validate() throws(BeatError) {
    var seen: Set<String> = []
    for entry in entries {
      try entry.validate()
      guard seen.insert(entry.name).inserted else {
        throw BeatError(
          .duplicateEntry, entry: entry.name, field: "name", "two entries have this name")
      }
    }
  }

  /// The entry named `name`, if any.
  public subscript(name: String) -> ScheduleEntry? {
    entries.first { $0.name == name }
  }

  /// Reads a schedule file: `{"entries": [ … ]}`.
  ///
  /// - Throws: ``BeatError`` `.invalidFile` when the file cannot be read or is not such JSON,
  ///   and the errors of ``ScheduleEntry/init(json:position:)`` and ``validate()``, each
  ///   prefixed with the file's path.
  public static func load(contentsOf path: String) throws(BeatError) -> BeatSchedule {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw BeatError(
        .invalidFile, "cannot read schedule file \(path): \(error.localizedDescription)")
    }
    do {
      return try BeatSchedule(json: data)
    } catch {
      var located = error
      located.file = path
      throw located
    }
  }

  /// Reads a schedule from the JSON of a schedule file.
  ///
  /// - Throws: ``BeatError`` as ``load(contentsOf:)``.
  public init(json data: Data) throws(BeatError) {
    let value: JSONValue
    do {
      value = try JSONCoding.decode(JSONValue.self, from: data)
    } catch {
      throw BeatError(.invalidFile, "not JSON: \(error)")
    }
    guard case .object(let object) = value else {
      throw BeatError(.invalidFile, "a schedule file is a JSON object {\"entries\": [...]}")
    }
    if let unknown = object.keys.sorted().first(where: { !Self.fileFields.contains($0) }) {
      throw BeatError(
        .unknownField, field: unknown, "is not a schedule file field (only 'entries')")
    }
    guard case .array(let items)? = object["entries"] else {
      throw BeatError(.invalidFile, field: "entries", "must be an array of entries")
    }
    var entries: [ScheduleEntry] = []
    for (position, item) in items.enumerated() {
      entries.append(try ScheduleEntry(json: item, position: position))
    }
    try self.init(entries: entries)
  }
}
