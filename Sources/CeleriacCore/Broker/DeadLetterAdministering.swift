/// A broker whose dead letters an operator can look at, replay and purge
/// (`celeriac dead-letters list | show ID | replay ID… | purge`).
public protocol DeadLetterAdministering: Broker {
  /// The entry with `id` (as ``DeadLetterEntry/id`` gave it), or `nil` when there is none.
  func deadLetter(id: String) throws -> DeadLetterEntry?

  /// Re-publishes each entry's original message unchanged on the queue it came from and
  /// removes the entry, each in one step; returns the ids replayed (unknown ids, and entries
  /// that name no queue, are left out).
  func replayDeadLetters(_ ids: [String]) throws -> [String]

  /// Deletes every dead letter; returns how many.
  func purgeDeadLetters() throws -> Int
}

/// Bounds on dead-letter administration, shared by both brokers.
public enum DeadLetterLimits {
  /// The longest id accepted from outside (SQLite row ids and Redis digests are far shorter).
  public static let maximumIDLength = 64
  /// The most entries a lookup by id scans (Redis keeps them in a list).
  public static let maximumScanned = 100_000

  /// Whether `id` may name an entry: non-empty, short, hexadecimal digits only.
  public static func isPlausible(_ id: String) -> Bool {
    !id.isEmpty && id.utf8.count <= maximumIDLength
      && id.utf8.allSatisfy {
        ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70)
      }
  }
}
