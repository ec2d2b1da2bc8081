import CeleriacCore
import CeleriacWorker
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A ``ProcessSpawner`` whose children are threads of the test process speaking the child
/// protocol over a real socket pair, so that the supervisor's loop runs unchanged (it polls
/// the socket and a pipe standing in for the pidfd) without starting processes.
///
/// What a fake child does with a task is chosen by the task's name (``Behaviour``); signals
/// end it as they would end a process, with the wait status a process would have.
final class FakeChildSpawner: ProcessSpawner {
  /// What a fake child does with the tasks it is given.
  enum Behaviour {
    /// `tasks.add`: succeeds with the sum of its integer arguments.
    static let add = "tasks.add"
    /// `tasks.crash_once`: the first child given a task id dies with SIGKILL; later ones
    /// succeed with `"survived"`.
    static let crashOnce = "tasks.crash_once"
    /// `tasks.hold`: succeeds with `"released"` once the test calls ``FakeChildSpawner/release()``.
    static let hold = "tasks.hold"
  }

  /// Fake pids start here, far above any real pid (`pid_max` is at most 2²²).
  static let firstPID: Int32 = 1 << 30

  private struct State {
    var nextPID = FakeChildSpawner.firstPID
    var children: [Int32: FakeChild] = [:]
    /// Wait statuses of children that ended and were not reaped yet.
    var exited: [Int32: Int32] = [:]
    var crashedTaskIDs: Set<String> = []
    var released = false
  }

  private let state = Mutex(State())
  private let releaseCondition = NSCondition()

  /// A spawner with no children yet.
  init() {}

  /// Lets every `tasks.hold` task finish, now and from now on.
  func release() {
    releaseCondition.lock()
    state.withLock { $0.released = true }
    releaseCondition.broadcast()
    releaseCondition.unlock()
  }

  func spawn(executable: String, arguments: [String], environment: [String: String]) throws
    -> SpawnedProcess
  {
    var sockets: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &sockets) == 0
    else { throw CeleriacError(.spawnFailed, "socketpair failed") }
    let exit = nonBlockingPipe()
    let pid = state.withLock { state -> Int32 in
      defer { state.nextPID += 1 }
      return state.nextPID
    }
    let child = FakeChild(pid: pid, socket: sockets[1], exitFD: exit.write)
    state.withLock { $0.children[pid] = child }
    let thread = Thread { [self] in run(child) }
    thread.start()
    // The read end stands in for the pidfd (the supervisor closes it when it reaps).
    return SpawnedProcess(pid: pid, socketFD: sockets[0], exitFD: exit.read)
  }

  func signal(_ pid: Int32, _ signal: Int32) {
    guard let child = state.withLock({ $0.children[pid] }) else { return }
    // As a process would: the signal ends it, whatever it was doing.
    end(child, status: signal)
  }

  func reap(_ pid: Int32) -> Int32? {
    state.withLock { state in
      guard let status = state.exited.removeValue(forKey: pid) else { return nil }
      if let child = state.children.removeValue(forKey: pid) { _ = Glibc.close(child.exitFD) }
      return status
    }
  }

  /// The body of one fake child: ready, then tasks until told to shut down or killed.
  private func run(_ child: FakeChild) {
    let channel = LineChannel(fd: child.socket)
    do {
      try channel.send(ChildEvent.ready(pid: child.pid))
      while let command = try channel.receive(SupervisorCommand.self) {
        switch command {
        case .shutdown:
          end(child, status: 0)
          return close(socketOf: child)
        case .run(let request):
          guard let outcome = perform(request.message, in: child) else {
            return close(socketOf: child)
          }
          try channel.send(ChildEvent.finished(tag: request.tag, outcome: outcome, rssKiB: 1_024))
        }
      }
    } catch {
      // The socket was shut down by a signal, or the supervisor went away.
    }
    end(child, status: SIGKILL)
    close(socketOf: child)
  }

  /// Closes the child's end of its socket once it has ended (under the lock, so that a late
  /// signal cannot shut down a descriptor number reused meanwhile).
  private func close(socketOf child: FakeChild) {
    state.withLock { _ in _ = Glibc.close(child.socket) }
  }

  /// The outcome of `message`, or nil when the child died running it.
  private func perform(_ message: TaskMessage, in child: FakeChild) -> TaskOutcome? {
    switch message.name {
    case Behaviour.add:
      return .success(.int(message.args.compactMap(\.intValue).reduce(0, +)))
    case Behaviour.crashOnce:
      let first = state.withLock { $0.crashedTaskIDs.insert(message.id).inserted }
      guard !first else {
        end(child, status: SIGKILL)
        return nil
      }
      return .success("survived")
    case Behaviour.hold:
      releaseCondition.lock()
      while !state.withLock({ $0.released }) { releaseCondition.wait() }
      releaseCondition.unlock()
      return .success("released")
    default:
      return .failure(TaskFailure(type: "NotImplementedError", message: message.name))
    }
  }

  /// Ends `child` once with wait status `status`: its socket closes and its pidfd stand-in
  /// becomes readable.
  private func end(_ child: FakeChild, status: Int32) {
    state.withLock { state in
      guard state.children[child.pid] != nil, state.exited[child.pid] == nil else { return }
      state.exited[child.pid] = status
      shutdown(child.socket, Int32(SHUT_RDWR))
      var byte: UInt8 = 1
      _ = write(child.exitFD, &byte, 1)
    }
  }
}

/// One fake child's descriptors.
private struct FakeChild: Sendable {
  let pid: Int32
  /// The child's end of the socket pair.
  let socket: Int32
  /// Written once when the child ends; the supervisor polls the pipe's read end.
  let exitFD: Int32
}
