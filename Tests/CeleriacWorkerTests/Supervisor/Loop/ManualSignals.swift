import CeleriacWorker

#if canImport(Glibc)
  import Glibc
#endif

/// A ``SignalSource`` that a test posts to: a pipe, as ``SignalQueue`` is, without handlers.
final class ManualSignals: SignalSource {
  private let readFD: Int32
  private let writeFD: Int32

  /// A source with nothing posted yet.
  init() {
    (readFD, writeFD) = nonBlockingPipe()
  }

  deinit {
    close(readFD)
    close(writeFD)
  }

  /// Delivers `signal` to the supervisor's loop.
  func post(_ signal: SupervisorSignal) {
    var byte = UInt8(truncatingIfNeeded: signal.rawValue)
    _ = write(writeFD, &byte, 1)
  }

  func open() throws -> Int32 { readFD }

  func drain() -> [SupervisorSignal] { SignalQueue.drain(readFD) }
}

/// A pipe whose ends do not block, closed on exec.
func nonBlockingPipe() -> (read: Int32, write: Int32) {
  var fds: [Int32] = [0, 0]
  precondition(pipe(&fds) == 0, "pipe failed")
  for fd in fds {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
  }
  return (fds[0], fds[1])
}
