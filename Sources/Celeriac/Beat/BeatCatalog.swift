import CeleriacCore
import Foundation

/// The entries beat publishes, merged from where they are declared: the schedule file or
/// `app.schedule(...)` (static), and the broker (dynamic, with enabled overrides of any entry).
///
/// A static entry wins over a dynamic one of the same name, which is then reported as
/// shadowed; an override applies to either.
public struct BeatCatalog: Sendable, Equatable {
  /// Where an entry was declared.
  public enum Origin: String, Sendable, Equatable {
    /// The schedule file or `app.schedule(...)`.
    case file
    /// Stored in the broker by `celeriac beat add`.
    case dynamic
  }

  /// One entry with its origin and effective enabled state.
  public struct Item: Sendable, Equatable {
    /// The entry.
    public var entry: ScheduleEntry
    /// Where it was declared.
    public var origin: Origin
    /// Whether beat publishes it: the broker's override, else the entry's own `enabled`.
    public var enabled: Bool
  }

  /// The entries, static ones first, each group in its order.
  public private(set) var items: [Item]
  /// Dynamic entries ignored because a static entry has their name.
  public private(set) var shadowed: [String]

  /// Merges static entries with the broker's stored ones.
  public init(static entries: [ScheduleEntry], stored: [StoredBeatEntry]) {
    let overrides = Dictionary(
      stored.compactMap { item in item.enabled.map { (item.name, $0) } },
      uniquingKeysWith: { first, _ in first })
    var items = entries.map {
      Item(entry: $0, origin: .file, enabled: overrides[$0.name] ?? $0.enabled)
    }
    let names = Set(entries.map(\.name))
    var shadowed: [String] = []
    for item in stored {
      guard let definition = item.definition else { continue }
      if names.contains(item.name) {
        shadowed.append(item.name)
        continue
      }
      items.append(
        Item(entry: definition, origin: .dynamic, enabled: item.enabled ?? definition.enabled))
    }
    self.items = items
    self.shadowed = shadowed
  }

  /// The item named `name`, if any.
  public subscript(name: String) -> Item? {
    items.first { $0.entry.name == name }
  }
}
