import CShims
import CeleriacCore
import Foundation
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// A started child process, as the supervisor holds it.
public struct SpawnedProcess: Sendable {
  /// The child's pid.
  public var pid: Int32
  /// The supervisor's end of the child's socket.
  public var socketFD: Int32
  /// A descriptor that becomes readable when the child exits: its pidfd, or on a kernel
  /// without pidfds the read end of a pipe that only the child holds open (see
  /// ``PosixProcessSpawner/ExitNotification``).
  public var exitFD: Int32

  /// Describes a started child; the supervisor owns (and closes) both descriptors.
  public init(pid: Int32, socketFD: Int32, exitFD: Int32) {
    self.pid = pid
    self.socketFD = socketFD
    self.exitFD = exitFD
  }
}

/// Starts, signals and reaps child processes: the seam between the supervisor's logic and the
/// operating system, so that the loop can be tested with children that are not processes.
public protocol ProcessSpawner: Sendable {
  /// Starts `executable` with `arguments` and `environment`, connected by a socket that the
  /// child sees as descriptor ``ChildOptions/defaultSocketFD``.
  func spawn(executable: String, arguments: [String], environment: [String: String]) throws
    -> SpawnedProcess

  /// Sends `signal` to the child `pid` that this spawner started.
  func signal(_ pid: Int32, _ signal: Int32)

  /// The wait status of the child `pid` (as `waitpid` writes it) once it has exited, reaping
  /// it; nil while it runs. Called when its exit descriptor became readable.
  func reap(_ pid: Int32) -> Int32?
}

extension ProcessSpawner {
  /// Sends `signal` with `kill(2)`.
  public func signal(_ pid: Int32, _ signal: Int32) {
    kill(pid, signal)
  }

  /// Reaps with `waitpid(2)`, without blocking.
  public func reap(_ pid: Int32) -> Int32? {
    var status: Int32 = 0
    return waitpid(pid, &status, WNOHANG) == pid ? status : nil
  }
}

/// The real spawner: `socketpair` + `posix_spawn` (no bare `fork` in a multithreaded runtime),
/// with an empty signal mask and default dispositions in the child, every other descriptor
/// closed, and a descriptor to learn of its exit at once.
public struct PosixProcessSpawner: ProcessSpawner {
  /// How the supervisor learns at once that a child has exited.
  public enum ExitNotification: Sendable, Equatable {
    /// `pidfd_open(2)`: readable when the process has exited (Linux ≥ 5.3).
    case pidfd
    /// A pipe whose write end the child holds as descriptor
    /// ``ChildOptions/exitPipeFD`` (marked close-on-exec by the child, so that the processes
    /// its tasks start do not inherit it): the read end sees end-of-file when the child's
    /// descriptors close as it exits. For kernels before 5.3 (RHEL 8's 4.18), seccomp
    /// profiles that refuse `pidfd_open`, and valgrind, which does not know the call.
    case pipe
  }

  /// What this system supports: `.pidfd` unless `pidfd_open` fails on this very process.
  public static let supportedExitNotification: ExitNotification = {
    let descriptor = celeriac_pidfd_open(getpid())
    guard descriptor >= 0 else { return .pipe }
    close(descriptor)
    return .pidfd
  }()

  /// How this spawner learns of a child's exit.
  public let exitNotification: ExitNotification

  /// Variables a child must not inherit: only the supervisor talks to systemd.
  public static let withheldEnvironment: Set<String> = [
    "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID",
    "LISTEN_FDNAMES",
  ]

  /// Variables that name the broker and backend: a child gets them only when they carry no
  /// password (children never talk to the broker; a task that sends from a child needs its
  /// credentials from elsewhere, e.g. systemd's `LoadCredential=`).
  public static let credentialEnvironment: Set<String> = [
    "CELERIAC_BROKER_URL", "CELERIAC_RESULT_BACKEND", "REDISCLI_AUTH",
  ]

  /// The environment a child is started with: `environment` without the systemd variables
  /// and without broker or backend URLs that carry a password.
  public static func childEnvironment(_ environment: [String: String]) -> [String: String] {
    environment.filter { key, value in
      if withheldEnvironment.contains(key) { return false }
      if credentialEnvironment.contains(key) { return !carriesCredentials(value) }
      return true
    }
  }

  /// Whether a URL-like value has a user part (`scheme://user:pass@host`; a lone user part
  /// may be a password too), or is a bare secret (`REDISCLI_AUTH`).
  private static func carriesCredentials(_ value: String) -> Bool {
    guard let schemeEnd = value.range(of: "://") else { return !value.isEmpty }
    let rest = value[schemeEnd.upperBound...]
    let authority = rest.prefix { $0 != "/" }
    return authority.contains("@")
  }

  /// Creates a spawner; by default it uses pidfds where the system has them.
  public init(exitNotification: ExitNotification = PosixProcessSpawner.supportedExitNotification) {
    self.exitNotification = exitNotification
  }

  /// `descriptor`, or a close-on-exec copy of it numbered above `floor` (closing the
  /// original) when it is not; -1 (errno set, the original closed) if the copy fails.
  private static func moveAbove(_ floor: Int32, _ descriptor: Int32) -> Int32 {
    guard descriptor <= floor else { return descriptor }
    let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, floor + 1)
    let failure = errno
    close(descriptor)
    errno = failure
    return copy
  }

  /// Starts the child; throws `spawnFailed` naming the executable and the reason.
  public func spawn(executable: String, arguments: [String], environment: [String: String])
    throws -> SpawnedProcess
  {
    var sockets: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &sockets) == 0
    else {
      throw CeleriacError(.spawnFailed, "socketpair failed: \(Errno(rawValue: errno))")
    }
    var source: [Int32] = [sockets[1]]
    var target: [Int32] = [ChildOptions.defaultSocketFD]
    var exitPipe: [Int32] = [-1, -1]
    if exitNotification == .pipe {
      // Neither end is ever read or written: non-blocking is as good as blocking here.
      // The write end above the child's descriptors, so that placing the socket cannot
      // overwrite it (a child without it would look dead at once, with its pid still alive).
      let made = celeriac_nonblocking_pipe(&exitPipe) == 0
      if made { exitPipe[1] = Self.moveAbove(ChildOptions.exitPipeFD, exitPipe[1]) }
      guard made, exitPipe[1] >= 0 else {
        let reason = Errno(rawValue: errno)
        if made { close(exitPipe[0]) }
        close(sockets[0])
        close(sockets[1])
        throw CeleriacError(.spawnFailed, "cannot make an exit pipe: \(reason)")
      }
      source.append(exitPipe[1])
      target.append(ChildOptions.exitPipeFD)
    }
    let argv = ([executable] + arguments).map { strdup($0) }
    let envp = Self.childEnvironment(environment)
      .map { strdup("\($0.key)=\($0.value)") }
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
      // The child's ends: only the child may hold them from now on.
      close(sockets[1])
      if exitPipe[1] >= 0 { close(exitPipe[1]) }
    }
    var pid: pid_t = 0
    let status = (argv + [nil]).withUnsafeBufferPointer { argvPointer in
      (envp + [nil]).withUnsafeBufferPointer { envpPointer in
        celeriac_spawn(
          &pid, executable, argvPointer.baseAddress, envpPointer.baseAddress, source, target,
          Int32(source.count))
      }
    }
    guard status == 0 else {
      close(sockets[0])
      if exitPipe[0] >= 0 { close(exitPipe[0]) }
      throw CeleriacError(
        .spawnFailed, "cannot start child '\(executable)': \(Errno(rawValue: status))")
    }
    if exitNotification == .pipe {
      return SpawnedProcess(pid: pid, socketFD: sockets[0], exitFD: exitPipe[0])
    }
    let exitFD = celeriac_pidfd_open(pid)
    guard exitFD >= 0 else {
      let reason = Errno(rawValue: errno)
      kill(pid, SIGKILL)
      // Reaped here: nothing else will (the supervisor learns of exits through pidfds).
      _ = waitpid(pid, nil, 0)
      close(sockets[0])
      throw CeleriacError(.spawnFailed, "pidfd_open(\(pid)) failed: \(reason)")
    }
    return SpawnedProcess(pid: pid, socketFD: sockets[0], exitFD: exitFD)
  }
}
