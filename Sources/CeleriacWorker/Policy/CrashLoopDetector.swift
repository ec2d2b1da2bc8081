/// Detects a pool whose children keep failing early, with no stable child in between.
///
/// Definition: a *run* starts at the first early failure (a crash or boot failure of a child
/// that was up less than the stable uptime) after the pool was last seen stable. The pool is in
/// a crash loop when an early failure happens while the run has lasted at least `window` and
/// holds at least `minimumFailures` early failures. Any evidence of a stable child ends the run.
struct CrashLoopDetector: Sendable, Hashable {
  /// How long a run must last before it is a crash loop.
  let window: Duration
  /// How many early failures a run must hold before it is a crash loop.
  let minimumFailures: Int
  /// When the current run started; `nil` when the pool is not failing.
  private(set) var runStart: MonotonicTime?
  /// The early failures in the current run.
  private(set) var failuresInRun = 0

  /// A detector with the given limits and no run.
  init(window: Duration, minimumFailures: Int) {
    self.window = window
    self.minimumFailures = minimumFailures
  }

  /// A child of the pool was seen stable: the current run, if any, ends.
  mutating func recordStable() {
    runStart = nil
    failuresInRun = 0
  }

  /// Records an early failure at `now`; returns a one-line reason when the pool is in a crash
  /// loop, `nil` otherwise.
  mutating func recordEarlyFailure(
    now: MonotonicTime, stableUptime: Duration
  ) -> String? {
    let start = runStart ?? now
    runStart = start
    failuresInRun += 1
    let lasted = now - start
    guard failuresInRun >= minimumFailures, lasted >= window else { return nil }
    return "crash loop: \(failuresInRun) children exited early (up less than "
      + "\(stableUptime.shortDescription)) over \(lasted.shortDescription) "
      + "with no stable child (window \(window.shortDescription))"
  }
}
