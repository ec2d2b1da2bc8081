import CeleriacCore
import Dispatch
import Synchronization

/// Publishes to the SQLite broker without blocking a thread of Swift's cooperative pool: the
/// inserts run on the publisher's own dispatch queue, and calls that arrive while a write is
/// under way are committed together in the next transaction (one write-ahead-log commit for
/// many concurrent senders). Callers suspend until their messages are committed.
public final class SQLiteAsyncPublisher: AsyncTaskPublisher {
  private struct Pending {
    var messages: [TaskMessage]
    var continuation: CheckedContinuation<Void, any Error>
  }

  private struct State {
    var pending: [Pending] = []
    var writing = false
    var closed = false
  }

  /// The broker written to.
  public let broker: SQLiteBroker
  private let queue = DispatchQueue(label: "celeriac.sqlite.publish", qos: .userInitiated)
  private let state = Mutex(State())

  /// A publisher writing through `broker` (usually the app's own).
  public init(broker: SQLiteBroker) {
    self.broker = broker
  }

  /// Enqueues `messages`, suspending until they are committed.
  ///
  /// - Throws: the broker's ``CeleriacError`` (`.brokerUnavailable`, `.invalidArguments`).
  public func publish(_ messages: [TaskMessage]) async throws {
    guard !messages.isEmpty else { return }
    try await withCheckedThrowingContinuation { continuation in
      enum Action { case startWriting, queued, closed }
      let action = state.withLock { state -> Action in
        if state.closed { return .closed }
        state.pending.append(Pending(messages: messages, continuation: continuation))
        if state.writing { return .queued }
        state.writing = true
        return .startWriting
      }
      switch action {
      case .closed:
        continuation.resume(
          throwing: CeleriacError(
            .brokerUnavailable, "SQLite broker \(broker.redactedURL): publisher was closed"))
      case .queued:
        break
      case .startWriting:
        queue.async { self.writePending() }
      }
    }
  }

  /// Commits everything pending, batch after batch, until nothing is left. A batch that
  /// fails is retried call by call, so that one bad call does not fail its neighbours.
  private func writePending() {
    while true {
      let batch = state.withLock { state -> [Pending] in
        defer { state.pending.removeAll() }
        if state.pending.isEmpty { state.writing = false }
        return state.pending
      }
      if batch.isEmpty { return }
      do {
        try broker.publish(batch.flatMap(\.messages))
        for call in batch { call.continuation.resume() }
      } catch {
        guard batch.count > 1 else {
          batch[0].continuation.resume(throwing: error)
          continue
        }
        for call in batch {
          call.continuation.resume(with: Result { try broker.publish(call.messages) })
        }
      }
    }
  }

  /// Refuses later publishes; those already accepted are still written.
  public func close() async {
    state.withLock { $0.closed = true }
  }
}
