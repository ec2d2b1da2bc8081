import CeleriacCore
import Foundation

/// Something a ``BeatScheduler`` turn did or saw, for the log.
public enum BeatEvent: Sendable, Equatable, CustomStringConvertible {
  /// This beat took the leader lease.
  case becameLeader
  /// This beat lost (or could not renew) the lease.
  case lostLeadership
  /// A due time was published.
  case published(entry: String, due: Date, taskID: String)
  /// Another beat had already published this due time (nothing sent).
  case alreadyPublished(entry: String, due: Date)
  /// Due times were missed (beat was down); under `once` one message is published for the
  /// latest, under `skip` none.
  case missed(entry: String, count: Int, policy: MissedRunPolicy, latest: Date)
  /// The entries were (re)loaded: how many are enabled.
  case entriesLoaded(enabled: Int, total: Int)
  /// Dynamic entries ignored because a schedule-file entry has their name.
  case shadowed(names: [String])
  /// The broker did not answer; this beat stands by until it does.
  case brokerError(String)

  /// One line for the log.
  public var description: String {
    switch self {
    case .becameLeader: return "beat: became the leader"
    case .lostLeadership: return "beat: no longer the leader"
    case .published(let entry, let due, let id):
      return "beat: published \(entry) for \(ISO8601.format(due)) as \(id)"
    case .alreadyPublished(let entry, let due):
      return "beat: \(entry) for \(ISO8601.format(due)) was already published by another beat"
    case .missed(let entry, let count, let policy, let latest):
      let action = policy == .once ? "publishing once for \(ISO8601.format(latest))" : "skipped"
      let counted = count >= DuePlan.countLimit ? "\(count)+" : "\(count)"
      return "beat: \(entry) missed \(counted) due time(s) while no beat ran: \(action)"
    case .entriesLoaded(let enabled, let total):
      return "beat: \(total) entries (\(enabled) enabled)"
    case .shadowed(let names):
      return "beat: dynamic entries ignored, a schedule entry has their name: "
        + names.joined(separator: ", ")
    case .brokerError(let message): return "beat: broker error: \(message)"
    }
  }
}
