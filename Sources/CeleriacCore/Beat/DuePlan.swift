import Foundation

/// What one entry needs published now: the pure decision at the heart of beat, from the last
/// due time published, the current time and the catch-up window.
public struct DuePlan: Sendable, Equatable {
  /// The due times to publish now, oldest first (each at most once, never a burst of missed
  /// ones: at most one for all of them, then the late ones within the catch-up window).
  public var publish: [Date]
  /// The latest due time that was missed and skipped by the ``MissedRunPolicy/skip`` policy:
  /// beat treats it as done without publishing it.
  public var skippedThrough: Date?
  /// How many due times were missed (more than the catch-up window late), counted up to
  /// ``countLimit``.
  public var missed: Int

  /// The most missed due times counted one by one.
  public static let countLimit = 1_000

  /// Decides what `entry` needs published at `now`, given the last due time it was published
  /// (or skipped) for, or the time beat first saw it.
  ///
  /// Due times after `last` and up to `now` are either *late* (within `catchUpWindow` of
  /// `now`: each is published) or *missed* (older): missed ones give one message for the
  /// latest of them under ``MissedRunPolicy/once`` and none under ``MissedRunPolicy/skip``.
  public static func make(
    for entry: ScheduleEntry, after last: Date, now: Date, catchUpWindow: Duration
  ) -> DuePlan {
    var plan = DuePlan(publish: [], skippedThrough: nil, missed: 0)
    guard let first = entry.nextDue(after: last), first <= now else { return plan }
    let cutoff = now.addingTimeInterval(-catchUpWindow.seconds)
    var cursor = last
    if first < cutoff {
      let latest = entry.trigger.latestDue(before: cutoff, notBefore: first, anchor: entry.anchor)
      plan.missed = countDue(of: entry, from: first, through: latest)
      switch entry.missedRuns {
      case .once: plan.publish.append(latest)
      case .skip: plan.skippedThrough = latest
      }
      cursor = latest
    }
    while let due = entry.nextDue(after: cursor), due <= now, plan.publish.count < countLimit {
      plan.publish.append(due)
      cursor = due
    }
    return plan
  }

  private static func countDue(of entry: ScheduleEntry, from first: Date, through last: Date)
    -> Int
  {
    if case .every(let interval) = entry.trigger {
      return Int((last.timeIntervalSince(first) / interval).rounded()) + 1
    }
    var count = 1
    var cursor = first
    while count < countLimit, let due = entry.nextDue(after: cursor), due <= last {
      count += 1
      cursor = due
    }
    return count
  }
}
