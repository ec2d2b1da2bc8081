/// A broker or backend that can wake a waiting process when its data may have changed, so
/// that the supervisor and `get()` need not poll on a timer.
public protocol ChangeNotifying: Sendable {
  /// Opens a descriptor that becomes readable after a change; `nil` when the platform or the
  /// storage offers none (callers fall back to polling).
  func openChangeSignal() -> ChangeSignal?
}

/// A readable-on-change descriptor; owned by one thread.
public protocol ChangeSignal: AnyObject {
  /// The descriptor to poll for reading.
  var descriptor: Int32 { get }

  /// Consumes pending notifications; call after the descriptor polled readable.
  func drain()

  /// Closes the descriptor.
  func close()
}
