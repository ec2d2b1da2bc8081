import Foundation

/// Beat's state in the broker, shared by every beat process that uses it: the leader lease,
/// each entry's last published due time, and the dynamic entries.
///
/// Exactly-once rests on ``publish(_:entry:due:leader:)``: the message goes onto its queue in
/// the same transaction (SQLite) or script (Redis) that checks that the caller still holds the
/// lease and that the entry's last due time is earlier, and records the new one. A beat killed
/// at any point leaves either both or neither; two beats that both believe they lead cannot
/// publish one due time twice. Like ``Broker``, every method is synchronous and throws
/// ``CeleriacError`` `.brokerUnavailable` when the broker does not answer.
public protocol BeatStore: Sendable {
  /// Takes the leader lease if it is free or expired, or renews it if `holder` has it.
  /// Returns whether `holder` leads until `lease` from now.
  func acquireLeadership(_ holder: String, lease: Duration) throws -> Bool

  /// Gives the lease up at once if `holder` has it (a clean shutdown), so another beat need
  /// not wait for it to run out.
  func resignLeadership(_ holder: String) throws

  /// The current leader, if the lease is held.
  func leader() throws -> BeatLeader?

  /// The last due time published for each entry that has one.
  func lastRuns() throws -> [String: Date]

  /// Publishes `message` for `entry`'s `due` time if `leader` holds the lease and the entry's
  /// last published due time is earlier than `due`, recording `due` as the last, atomically.
  func publish(_ message: TaskMessage, entry: String, due: Date, leader: String) throws
    -> BeatPublishOutcome

  /// The entries stored in the broker: the dynamic ones (with their definitions) and the
  /// enabled/disabled overrides of any entry.
  func storedEntries() throws -> [StoredBeatEntry]

  /// Adds or replaces a dynamic entry.
  func saveEntry(_ entry: ScheduleEntry) throws

  /// Removes a dynamic entry and any override of that name; returns whether there was one.
  func removeEntry(named name: String) throws -> Bool

  /// Enables or disables the entry named `name` (a dynamic one or one from a schedule file).
  func setEnabled(_ enabled: Bool, forEntryNamed name: String) throws

  /// A number that changes whenever the stored entries change, so that running beats reload
  /// them only then.
  func revision() throws -> Int64
}

/// What ``BeatStore/publish(_:entry:due:leader:)`` did.
public enum BeatPublishOutcome: Sendable, Equatable {
  /// The message is on its queue and `due` is the entry's last run.
  case published
  /// The entry's last run is already at or after `due` (another beat published it): nothing
  /// was sent.
  case alreadyPublished(last: Date)
  /// The caller does not hold the lease (it ran out, another beat took it): nothing was sent.
  case notLeader
}

/// Who holds the leader lease, and until when.
public struct BeatLeader: Sendable, Equatable {
  /// The holder's id (`host.pid.random`).
  public var holder: String
  /// When the lease runs out unless renewed.
  public var expires: Date

  /// Creates a leader record.
  public init(holder: String, expires: Date) {
    self.holder = holder
    self.expires = expires
  }
}

/// An entry as stored in the broker.
public struct StoredBeatEntry: Sendable, Equatable {
  /// The entry's name.
  public var name: String
  /// The definition of a dynamic entry; `nil` for an override of an entry defined elsewhere.
  public var definition: ScheduleEntry?
  /// The enabled/disabled override, if one was set.
  public var enabled: Bool?

  /// Creates a stored entry.
  public init(name: String, definition: ScheduleEntry?, enabled: Bool?) {
    self.name = name
    self.definition = definition
    self.enabled = enabled
  }
}
