import CeleriacWorker
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Whether `descriptor` becomes readable (or hung up) within `milliseconds`.
private func becomesReadable(_ descriptor: Int32, within milliseconds: Int32) -> Bool {
  var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
  return poll(&entry, 1, milliseconds) == 1
}

/// Real processes through both ways of learning of an exit: a pidfd, and the pipe that
/// kernels without pidfds (and valgrind) fall back to.
@Suite("PosixProcessSpawner: a child's exit is seen at once, with or without pidfds")
struct PosixProcessSpawnerTests {
  @Test(
    "the exit descriptor becomes readable when the child exits, and reap gives its status",
    arguments: [PosixProcessSpawner.ExitNotification.pidfd, .pipe])
  func exitIsSeen(_ notification: PosixProcessSpawner.ExitNotification) throws {
    if notification == .pidfd, PosixProcessSpawner.supportedExitNotification != .pidfd {
      return  // No pidfds here: nothing to compare against.
    }
    let spawner = PosixProcessSpawner(exitNotification: notification)
    // The child sees the pipe's write end as descriptor 4 only in pipe mode.
    let script = notification == .pipe ? "test -e /proc/self/fd/4 && exit 3" : "exit 3"
    let quick = try spawner.spawn(
      executable: "/bin/sh", arguments: ["-c", script], environment: [:])
    defer {
      close(quick.exitFD)
      close(quick.socketFD)
    }
    #expect(becomesReadable(quick.exitFD, within: 10_000))
    var status: Int32?
    for _ in 0..<1_000 where status == nil {
      // End-of-file on the pipe can precede the zombie by a moment: the loop polls again.
      status = spawner.reap(quick.pid)
      if status == nil { usleep(1_000) }
    }
    let exited = try #require(status)
    #expect(exited & 0x7f == 0 && (exited >> 8) & 0xff == 3)
  }

  @Test(
    "a running child's descriptor stays quiet until a signal ends it",
    arguments: [PosixProcessSpawner.ExitNotification.pidfd, .pipe])
  func runningChildIsQuiet(_ notification: PosixProcessSpawner.ExitNotification) throws {
    if notification == .pidfd, PosixProcessSpawner.supportedExitNotification != .pidfd {
      return
    }
    let spawner = PosixProcessSpawner(exitNotification: notification)
    let sleeper = try spawner.spawn(
      executable: "/bin/sleep", arguments: ["30"], environment: [:])
    defer {
      close(sleeper.exitFD)
      close(sleeper.socketFD)
    }
    #expect(!becomesReadable(sleeper.exitFD, within: 100))
    #expect(spawner.reap(sleeper.pid) == nil)
    spawner.signal(sleeper.pid, SIGKILL)
    #expect(becomesReadable(sleeper.exitFD, within: 10_000))
    var status: Int32?
    for _ in 0..<1_000 where status == nil {
      status = spawner.reap(sleeper.pid)
      if status == nil { usleep(1_000) }
    }
    #expect(status.map { $0 & 0x7f } == SIGKILL)
  }
}
