/// Where the supervisor's loop learns of signals: a descriptor it polls, and the signals that
/// arrived since it last asked. The seam lets a test of the loop post signals to one
/// supervisor without touching the test process's own dispositions.
public protocol SignalSource: Sendable {
  /// Makes the source ready (installs handlers) and returns the descriptor to poll.
  func open() throws -> Int32

  /// The signals received since the last call, in order (repeats kept).
  func drain() -> [SupervisorSignal]
}

/// The process's own signals, through ``SignalQueue``'s handlers and self-pipe.
public struct ProcessSignals: SignalSource {
  /// The process's signals.
  public init() {}

  /// Installs the handlers (once) and returns the self-pipe's read end.
  public func open() throws -> Int32 { try SignalQueue.install() }

  /// What the handlers recorded.
  public func drain() -> [SupervisorSignal] { SignalQueue.drain() }
}
