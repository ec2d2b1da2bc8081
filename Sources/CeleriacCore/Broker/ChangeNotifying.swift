/// A broker or backend that can wake a waiting process when its data may have changed, so
/// that the supervisor and `get()` need not poll on a timer.
public protocol ChangeNotifying: Sendable {
  /// Opens a descriptor that becomes readable after a change that may bring work to one of
  /// `queues`; `nil` when the platform or the storage offers none (callers fall back to
  /// polling).
  func openChangeSignal(watching queues: [String]) -> ChangeSignal?
}

/// A readable-on-change descriptor; owned by one thread.
public protocol ChangeSignal: AnyObject {
  /// The descriptor to poll for reading.
  var descriptor: Int32 { get }

  /// Whether every change that may bring work fires the signal. A signal that sees only some
  /// of them (the Redis one watches each queue's main list, not its priority lists or its
  /// delayed tasks) wakes the caller sooner, but the caller keeps polling at its usual pace.
  var seesEveryChange: Bool { get }

  /// Tells the signal that the caller is about to wait for work on `queues` (a subset of the
  /// watched ones); called before every such wait. A signal that must ask for each wake-up
  /// (a blocking command in flight) asks here; one that always fires ignores it.
  func expectWork(on queues: [String])

  /// Consumes pending notifications (a bounded amount: a writer faster than the caller cannot
  /// hold it here); call after the descriptor polled readable. Returns whether any of them
  /// was a change that may bring work (`false`: the wake-up concerned something else).
  @discardableResult
  func drain() -> Bool

  /// Closes the descriptor.
  func close()
}

extension ChangeSignal {
  /// A signal fires on every change unless it says otherwise.
  public var seesEveryChange: Bool { true }

  /// A signal that always fires needs no notice of a wait.
  public func expectWork(on queues: [String]) {}
}
