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
  /// A pidfd that becomes readable when the child exits (Linux ≥ 5.3).
  public var pidFD: Int32

  /// Describes a started child; the supervisor owns (and closes) both descriptors.
  public init(pid: Int32, socketFD: Int32, pidFD: Int32) {
    self.pid = pid
    self.socketFD = socketFD
    self.pidFD = pidFD
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
  /// it; nil while it runs. Called when its pidfd became readable.
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
/// closed, and a pidfd to learn of its exit at once.
public struct PosixProcessSpawner: ProcessSpawner {
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

  /// Creates a spawner.
  public init() {}

  /// Starts the child; throws `spawnFailed` naming the executable and the reason.
  public func spawn(executable: String, arguments: [String], environment: [String: String])
    throws -> SpawnedProcess
  {
    var sockets: [Int32] = [0, 0]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &sockets) == 0
    else {
      throw CeleriacError(.spawnFailed, "socketpair failed: \(Errno(rawValue: errno))")
    }
    let argv = ([executable] + arguments).map { strdup($0) }
    let envp = Self.childEnvironment(environment)
      .map { strdup("\($0.key)=\($0.value)") }
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
      close(sockets[1])
    }
    var pid: pid_t = 0
    let source: [Int32] = [sockets[1]]
    let target: [Int32] = [ChildOptions.defaultSocketFD]
    let status = (argv + [nil]).withUnsafeBufferPointer { argvPointer in
      (envp + [nil]).withUnsafeBufferPointer { envpPointer in
        celeriac_spawn(
          &pid, executable, argvPointer.baseAddress, envpPointer.baseAddress, source, target, 1)
      }
    }
    guard status == 0 else {
      close(sockets[0])
      throw CeleriacError(
        .spawnFailed, "cannot start child '\(executable)': \(Errno(rawValue: status))")
    }
    let pidFD = celeriac_pidfd_open(pid)
    guard pidFD >= 0 else {
      let reason = Errno(rawValue: errno)
      kill(pid, SIGKILL)
      // Reaped here: nothing else will (the supervisor learns of exits through pidfds).
      _ = waitpid(pid, nil, 0)
      close(sockets[0])
      throw CeleriacError(.spawnFailed, "pidfd_open(\(pid)) failed: \(reason)")
    }
    return SpawnedProcess(pid: pid, socketFD: sockets[0], pidFD: pidFD)
  }
}
