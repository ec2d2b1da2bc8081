import Foundation

/// When an entry is due: a fixed interval, or a crontab expression read in a time zone.
public enum ScheduleTrigger: Sendable, Hashable {
  /// Every so many seconds (fractions allowed), on the grid of multiples of the interval
  /// from the entry's `start` (or from the Unix epoch): real time, never shifted by DST or a
  /// wall-clock step, and the same grid in every beat process.
  case every(seconds: Double)
  /// A crontab expression read in an IANA time zone.
  case cron(CronExpression, TimeZone)

  /// The first due time strictly after `instant`, on the grid anchored at `anchor` for an
  /// interval; `nil` when a crontab never fires again.
  public func nextDue(after instant: Date, anchor: Date) -> Date? {
    switch self {
    case .every(let interval):
      let elapsed = instant.timeIntervalSince(anchor)
      if elapsed < 0 { return anchor }
      var steps = (elapsed / interval).rounded(.down) + 1
      // Guard against rounding: the result must be strictly after `instant`.
      while anchor.addingTimeInterval(steps * interval) <= instant { steps += 1 }
      return anchor.addingTimeInterval(steps * interval)
    case .cron(let expression, let zone):
      return expression.nextFire(after: instant, in: zone)
    }
  }

  /// The last due time strictly before `cutoff` and not before `first` (itself a due time
  /// before `cutoff`): the due time a missed-run catch-up is for.
  func latestDue(before cutoff: Date, notBefore first: Date, anchor: Date) -> Date {
    switch self {
    case .every(let interval):
      var steps = (cutoff.timeIntervalSince(anchor) / interval).rounded(.up) - 1
      while steps > 0 && anchor.addingTimeInterval(steps * interval) >= cutoff { steps -= 1 }
      return max(first, anchor.addingTimeInterval(steps * interval))
    case .cron:
      // Look back over a span that grows fourfold until it holds a due time, then walk it.
      var span: TimeInterval = 60
      while true {
        let probe = cutoff.addingTimeInterval(-span)
        var latest = first
        if probe > first {
          guard let due = nextDue(after: probe, anchor: anchor), due < cutoff else {
            span *= 4
            continue
          }
          latest = due
        }
        while let due = nextDue(after: latest, anchor: anchor), due < cutoff { latest = due }
        return latest
      }
    }
  }
}
