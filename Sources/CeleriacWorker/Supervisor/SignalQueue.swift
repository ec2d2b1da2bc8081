import CShims
import CeleriacCore

#if canImport(Glibc)
  import Glibc
#endif

/// The signals the supervisor acts on, in Celery's meanings.
public enum SupervisorSignal: Int32, Sendable, CaseIterable {
  /// Warm shutdown.
  case term = 15
  /// First: warm shutdown; second: cold.
  case int = 2
  /// Cold shutdown.
  case quit = 3
  /// Graceful reload.
  case hup = 1
  /// One child more.
  case ttin = 21
  /// One child fewer.
  case ttou = 22
  /// Log the state.
  case usr1 = 10
  /// Test-only: make the loop hang (see ``SignalQueue/hangSwitchEnvironmentKey``).
  case usr2 = 12
}

/// The self-pipe between signal handlers and the supervisor's loop.
///
/// A handler only writes the signal's number to a non-blocking pipe (async-signal-safe); the
/// loop polls the read end and acts. Nothing else happens in signal context.
public enum SignalQueue {
  /// When set to `1`, SIGUSR2 makes the supervisor's loop hang for ever (to test that systemd's
  /// watchdog catches a stuck loop). Never set it in production.
  public static let hangSwitchEnvironmentKey = "CELERIAC_TEST_HANG_ON_USR2"

  nonisolated(unsafe) private static var writeFD: Int32 = -1
  nonisolated(unsafe) private static var readFD: Int32 = -1

  /// Installs the handlers (once) and returns the descriptor the loop polls.
  public static func install() throws -> Int32 {
    if readFD >= 0 { return readFD }
    var fds: [Int32] = [0, 0]
    guard celeriac_nonblocking_pipe(&fds) == 0 else {
      throw CeleriacError(.invalidConfiguration, "cannot create the signal pipe")
    }
    readFD = fds[0]
    writeFD = fds[1]
    _ = celeriac_unblock_all_signals()
    _ = celeriac_ignore_signal(SIGPIPE)
    // The Swift runtime's backtracer catches SIGABRT and may return from it for a signal sent
    // from outside (systemd's watchdog, an operator): make ABRT terminate, as it should.
    _ = celeriac_reset_signal_handler(SIGABRT)
    // An ignored SIGCHLD inherited from the parent (a shell, a container init) would make the
    // kernel reap children itself, and their exit status would be lost.
    _ = celeriac_reset_signal_handler(SIGCHLD)
    for signal in SupervisorSignal.allCases {
      _ = celeriac_install_signal_handler(signal.rawValue) { number in
        var byte = UInt8(truncatingIfNeeded: number)
        let saved = errno
        _ = write(SignalQueue.writeFD, &byte, 1)
        errno = saved
      }
    }
    return readFD
  }

  /// The signals received since the last call, in order (repeats kept).
  public static func drain() -> [SupervisorSignal] { drain(readFD) }

  /// The signal numbers waiting in the non-blocking pipe read end `fd`, one byte each, in
  /// order; bytes that name no ``SupervisorSignal`` are skipped.
  public static func drain(_ fd: Int32) -> [SupervisorSignal] {
    var signals: [SupervisorSignal] = []
    var buffer = [UInt8](repeating: 0, count: 64)
    while true {
      let count = read(fd, &buffer, buffer.count)
      if count <= 0 { break }
      signals += buffer[0..<count].compactMap { SupervisorSignal(rawValue: Int32($0)) }
    }
    return signals
  }
}
