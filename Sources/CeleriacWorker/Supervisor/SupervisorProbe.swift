import Synchronization

/// What a supervisor tells a test about its loop, so that the test awaits what it is waiting
/// for instead of sleeping (River's test signals). Production supervisors have none.
///
/// Events are kept in order (the last ``capacity`` of them); ``wait(timeout:until:)`` returns
/// as soon as they satisfy a condition.
public final class SupervisorProbe: Sendable {
  /// One thing the loop did.
  public enum Event: Sendable, Equatable {
    /// A child was spawned for `pool`.
    case spawned(pid: Int32, pool: String)
    /// A child said it is ready.
    case ready(pid: Int32)
    /// A task went to a child.
    case dispatched(taskID: String, pid: Int32)
    /// A child was reaped.
    case reaped(pid: Int32)
    /// Outcomes were written to the broker and backend.
    case flushed
    /// The loop saw a signal.
    case signal(SupervisorSignal)
    /// ``Supervisor/run()`` returned.
    case exited(Supervisor.ExitStatus)
  }

  /// The most events kept.
  public static let capacity = 100_000

  private struct Waiter {
    let id: Int
    let condition: @Sendable ([Event]) -> Bool
    let continuation: CheckedContinuation<Bool, Never>
  }

  private struct State {
    var events: [Event] = []
    var waiters: [Waiter] = []
    var nextWaiter = 0
  }

  private let state = Mutex(State())

  /// A probe with no events yet.
  public init() {}

  /// The events so far, oldest first.
  public var events: [Event] { state.withLock { $0.events } }

  /// Records `event` and wakes the waiters whose condition now holds.
  func post(_ event: Event) {
    let satisfied = state.withLock { state -> [Waiter] in
      if state.events.count >= Self.capacity { state.events.removeFirst(Self.capacity / 10) }
      state.events.append(event)
      let events = state.events
      let (ready, waiting) = state.waiters.partitioned { $0.condition(events) }
      state.waiters = waiting
      return ready
    }
    for waiter in satisfied { waiter.continuation.resume(returning: true) }
  }

  /// Waits until `condition` holds for the events so far; `false` when `timeout` passed first.
  public func wait(
    timeout: Duration, until condition: @escaping @Sendable ([Event]) -> Bool
  ) async -> Bool {
    await withCheckedContinuation { continuation in
      let id = state.withLock { state -> Int? in
        if condition(state.events) { return nil }
        state.nextWaiter += 1
        state.waiters.append(
          Waiter(id: state.nextWaiter, condition: condition, continuation: continuation))
        return state.nextWaiter
      }
      guard let id else { return continuation.resume(returning: true) }
      // Started once the waiter is registered, so that it cannot expire before it waits.
      Task {
        try? await Task.sleep(for: timeout)
        self.expire(id)
      }
    }
  }

  private func expire(_ id: Int) {
    let expired = state.withLock { state -> Waiter? in
      guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
      return state.waiters.remove(at: index)
    }
    expired?.continuation.resume(returning: false)
  }
}

extension Array {
  /// The elements for which `belongs` holds, and the others, each in order.
  fileprivate func partitioned(_ belongs: (Element) -> Bool) -> ([Element], [Element]) {
    var yes: [Element] = []
    var no: [Element] = []
    for element in self {
      if belongs(element) { yes.append(element) } else { no.append(element) }
    }
    return (yes, no)
  }
}
