/// What the supervisor tells systemd, and when: READY once, STATUS when it changes (at most
/// every ``WorkerConfiguration/defaultStatusInterval``), WATCHDOG pings at half the watchdog
/// interval, and EXTEND_TIMEOUT while a warm shutdown waits for tasks.
///
/// It decides the timing; the supervisor builds the status line.
struct SystemdReporter {
  /// How often a warm shutdown extends systemd's stop timeout, and by how much.
  static let stopExtensionInterval: Duration = .seconds(5)
  static let stopExtension: Duration = .seconds(15)

  /// The notification socket (a no-op outside systemd).
  let notifier: SystemdNotifier
  /// Whether READY was sent.
  private(set) var announcedReady = false
  private var lastStatus = ""
  private var nextStatus: ContinuousClock.Instant
  private var nextWatchdog: ContinuousClock.Instant
  private var nextStopExtension: ContinuousClock.Instant

  /// A reporter with every timer due at `now`.
  init(notifier: SystemdNotifier = SystemdNotifier(), now: ContinuousClock.Instant) {
    self.notifier = notifier
    nextStatus = now
    nextWatchdog = now
    nextStopExtension = now
  }

  /// The next time the loop must wake for systemd.
  var nextDue: ContinuousClock.Instant {
    notifier.watchdogInterval == nil ? nextStatus : min(nextStatus, nextWatchdog)
  }

  /// Pings the watchdog when due: only this loop pings, so a stuck loop is caught.
  mutating func pingWatchdogIfDue(now: ContinuousClock.Instant) {
    guard let interval = notifier.watchdogInterval, now >= nextWatchdog else { return }
    notifier.watchdogPing()
    nextWatchdog = now + interval / 2
  }

  /// Sends READY with `status` (at start, and at the end of a reload).
  mutating func ready(status: String, now: ContinuousClock.Instant) {
    notifier.ready(status: status)
    announcedReady = true
    lastStatus = status
    nextStatus = now + WorkerConfiguration.defaultStatusInterval
  }

  /// Whether the status is due for a refresh; if so, the next one is scheduled.
  mutating func takeStatusRefresh(now: ContinuousClock.Instant) -> Bool {
    guard now >= nextStatus else { return false }
    nextStatus = now + WorkerConfiguration.defaultStatusInterval
    return true
  }

  /// Sends STATUS if it differs from the last one sent.
  mutating func status(_ line: String) {
    guard line != lastStatus else { return }
    notifier.status(line)
    lastStatus = line
  }

  /// During a warm shutdown: extends the stop timeout and says how many tasks are left, every
  /// ``stopExtensionInterval``.
  mutating func extendStopIfDue(now: ContinuousClock.Instant, status: @autoclosure () -> String) {
    guard now >= nextStopExtension else { return }
    nextStopExtension = now + Self.stopExtensionInterval
    notifier.extendTimeout(by: Self.stopExtension)
    notifier.status(status())
  }
}
