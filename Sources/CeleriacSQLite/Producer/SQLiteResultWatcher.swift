import CeleriacCore
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Waits for many tasks' results on one dedicated thread: the thread sleeps in `poll` on the
/// file's change signal (inotify on the write-ahead log) and on its own wake-up descriptor,
/// and after each change reads every awaited task's record in one statement, resuming the
/// waiters whose task is ready or whose time is up. Waiting callers only suspend.
final class SQLiteResultWatcher: Sendable {
  /// How long the thread sleeps at most between two reads while tasks are awaited, in case a
  /// change notification is missed (or inotify is unavailable).
  static let longestUnwatchedWait: Duration = .milliseconds(50)

  private struct Waiter {
    var taskID: String
    var deadline: ContinuousClock.Instant
    var continuation: CheckedContinuation<TaskResultRecord?, any Error>
    var last: TaskResultRecord?
    var checked = false
  }

  private struct State {
    var waiters: [Int: Waiter] = [:]
    var cancelledBeforeRegistering: Set<Int> = []
    var nextID = 0
    var threadStarted = false
    var closed = false
  }

  private let backend: SQLiteResultBackend
  private let state = Mutex(State())
  /// A self-pipe: a byte written to `wakeWriter` wakes the thread's `poll`.
  private let wakeReader: Int32
  private let wakeWriter: Int32

  /// A watcher of `backend`'s file; its thread starts with the first wait.
  init(backend: SQLiteResultBackend) {
    self.backend = backend
    var descriptors: [Int32] = [-1, -1]
    if pipe(&descriptors) == 0 {
      for descriptor in descriptors {
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
      }
    }
    self.wakeReader = descriptors[0]
    self.wakeWriter = descriptors[1]
  }

  deinit {
    for descriptor in [wakeReader, wakeWriter] where descriptor >= 0 { Glibc.close(descriptor) }
  }

  /// The number of waits registered now (for tests: zero after a cancelled wait).
  var pendingWaits: Int { state.withLock { $0.waiters.count } }

  /// Suspends until `taskID` is ready or `timeout` passes; returns the last record seen.
  /// Cancellation removes the wait and throws `CancellationError` at once.
  func wait(for taskID: String, timeout: Duration) async throws -> TaskResultRecord? {
    let deadline = ContinuousClock.now + timeout
    let id = state.withLock { state in
      state.nextID += 1
      return state.nextID
    }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        enum Registration { case registered(startThread: Bool), cancelled, closed }
        let registration = state.withLock { state -> Registration in
          if state.cancelledBeforeRegistering.remove(id) != nil { return .cancelled }
          if state.closed { return .closed }
          state.waiters[id] = Waiter(
            taskID: taskID, deadline: deadline, continuation: continuation)
          defer { state.threadStarted = true }
          return .registered(startThread: !state.threadStarted)
        }
        switch registration {
        case .cancelled:
          continuation.resume(throwing: CancellationError())
        case .closed:
          continuation.resume(throwing: self.closedError)
        case .registered(let startThread):
          if startThread { self.startThread() }
          self.wake()
        }
      }
    } onCancel: {
      let waiter = state.withLock { state -> Waiter? in
        if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
        state.cancelledBeforeRegistering.insert(id)
        return nil
      }
      waiter?.continuation.resume(throwing: CancellationError())
    }
  }

  /// Stops the thread; waits still registered fail with `.backendUnavailable`.
  func close() {
    let waiters = state.withLock { state -> [Waiter] in
      state.closed = true
      defer { state.waiters.removeAll() }
      return Array(state.waiters.values)
    }
    for waiter in waiters { waiter.continuation.resume(throwing: closedError) }
    wake()
  }

  private var closedError: CeleriacError {
    CeleriacError(.backendUnavailable, "SQLite result backend \(backend.redactedURL) was closed")
  }

  private func wake() {
    var byte: UInt8 = 1
    _ = Glibc.write(wakeWriter, &byte, 1)
  }

  private func startThread() {
    let thread = Thread { [self] in self.run() }
    thread.name = "celeriac-sqlite-results"
    thread.start()
  }

  /// The thread's loop: check, resume, sleep until a change, a new wait, or the next deadline.
  private func run() {
    let signal = SQLiteChangeSignal(databasePath: backend.store.path)
    defer { signal?.close() }
    var changed = true
    while true {
      guard let nearest = check(all: changed) else { return }
      var descriptors = [pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0)]
      if let signal {
        descriptors.append(pollfd(fd: signal.descriptor, events: Int16(POLLIN), revents: 0))
      }
      var timeout: Int32 = -1
      if let nearest {
        let wait = min(max(nearest - ContinuousClock.now, .zero), Self.longestUnwatchedWait)
        timeout = Int32(wait.wholeMilliseconds + 1)
      }
      let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
      var bytes = [UInt8](repeating: 0, count: 64)
      while Glibc.read(wakeReader, &bytes, bytes.count) > 0 {}
      changed = ready == 0 || signal == nil
      if let signal, descriptors[1].revents != 0 {
        changed = signal.drainReportingLogChanges() || changed
      }
    }
  }

  /// Reads the awaited records (all of them after a change, else only new waits'), resumes
  /// the finished waits; returns the nearest deadline left (`.some(nil)`: none awaited), or
  /// `nil` when the watcher is closed.
  private func check(all: Bool) -> ContinuousClock.Instant?? {
    let wanted = state.withLock { state -> [String]? in
      if state.closed { return nil }
      return Set(state.waiters.values.filter { all || !$0.checked }.map(\.taskID)).sorted()
    }
    guard let wanted else { return nil }
    var records: [String: TaskResultRecord] = [:]
    var failure: (any Error)?
    do {
      records = try backend.results(for: wanted)
    } catch {
      failure = error
    }
    let wantedSet = Set(wanted)
    let now = ContinuousClock.now
    var finished: [(Waiter, Result<TaskResultRecord?, any Error>)] = []
    let nearest = state.withLock { state -> ContinuousClock.Instant?? in
      if state.closed { return nil }
      var nearest: ContinuousClock.Instant?
      for (id, var waiter) in state.waiters {
        if wantedSet.contains(waiter.taskID) {
          waiter.checked = true
          if let record = records[waiter.taskID] { waiter.last = record }
        }
        if let failure {
          finished.append((waiter, .failure(failure)))
        } else if waiter.last?.state.isReady ?? false || waiter.deadline <= now {
          finished.append((waiter, .success(waiter.last)))
        } else {
          state.waiters[id] = waiter
          nearest = min(nearest ?? waiter.deadline, waiter.deadline)
          continue
        }
        state.waiters.removeValue(forKey: id)
      }
      return .some(nearest)
    }
    for (waiter, result) in finished { waiter.continuation.resume(with: result) }
    return nearest
  }
}
