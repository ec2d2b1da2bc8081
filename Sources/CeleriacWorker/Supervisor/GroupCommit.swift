/// When the supervisor writes the outcomes its turns collected: at once when no other
/// outcome is coming, else after a short window, so that the outcomes of children that finish
/// close together share one write transaction (group commit).
///
/// On SQLite one commit writes the same ten or so pages (the results and tasks tables and
/// their indexes) whether it holds one outcome or twenty, and on Redis one pipeline is one
/// round trip; committing every outcome alone made those writes most of the supervisor's
/// time per task during a drain. Nothing about the guarantees changes: a task is still
/// acknowledged only in the transaction that stores its outcome; the outcome becomes visible
/// at most ``window`` later, and only while another child is busy.
struct GroupCommit {
  /// How long an outcome may wait for others, by default.
  static let defaultWindow: Duration = .milliseconds(1)
  /// How many outcomes are written at once at most before the window is up, by default.
  static let defaultMaximumBatch = 64

  /// The longest an outcome waits for others.
  let window: Duration
  /// The number of held outcomes that is written without waiting for the window.
  let maximumBatch: Int
  /// Since when something has been held, or `nil` when nothing is.
  private(set) var heldSince: ContinuousClock.Instant?

  /// What to do with the writes collected so far.
  enum Decision: Equatable {
    /// Write them now.
    case flush
    /// Keep them until the given time (or until more arrive), then ask again.
    case hold(until: ContinuousClock.Instant)
  }

  /// A policy with the given window and batch.
  init(window: Duration = Self.defaultWindow, maximumBatch: Int = Self.defaultMaximumBatch) {
    self.window = max(window, .zero)
    self.maximumBatch = max(maximumBatch, 1)
  }

  /// Decides for `held` writes (outcomes and the rest) when `moreExpected` says whether a
  /// child is running a task whose outcome could join them.
  mutating func decide(
    held: Int, moreExpected: Bool, now: ContinuousClock.Instant
  ) -> Decision {
    guard held > 0 else {
      heldSince = nil
      return .flush
    }
    let since = heldSince ?? now
    heldSince = since
    if !moreExpected || held >= maximumBatch || now - since >= window { return .flush }
    return .hold(until: since + window)
  }

  /// Notes that a write of everything held was attempted. What a failed write kept starts a
  /// new window, so it is retried within ``window`` (at once when no child is busy).
  mutating func flushed() {
    heldSince = nil
  }

  /// When the window of what is held ends, for the loop's poll timeout.
  var deadline: ContinuousClock.Instant? {
    heldSince.map { $0 + window }
  }
}
