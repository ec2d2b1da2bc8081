/// Beat's documented defaults, as named constants.
public enum BeatDefaults {
  /// How long the leader's lease lasts without renewal: a SIGKILLed leader is replaced within
  /// about this long (`--leader-lease`). The leader renews it every third of it.
  public static let leaderLease: Duration = .seconds(4)
  /// Due times late by less than this are each published (a leader change, a slow turn);
  /// older ones are *missed* and follow the entry's ``MissedRunPolicy``
  /// (`--catch-up-window`).
  public static let catchUpWindow: Duration = .seconds(10)
  /// How often a beat looks for changed dynamic entries in the broker (one cheap read).
  public static let refreshInterval: Duration = .seconds(1)
  /// The longest a beat's loop sleeps, so that its watchdog and status stay fresh.
  public static let maximumSleep: Duration = .seconds(1)
  /// The time zone of a crontab entry that names none.
  public static let timeZoneIdentifier = "UTC"
  /// The header naming the entry a beat message is for.
  public static let entryHeader = "celeriac_beat_entry"
  /// The header with the due time (ISO 8601) a beat message is for.
  public static let dueHeader = "celeriac_beat_due"
}
