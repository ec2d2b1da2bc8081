import CShims
import Celeriac
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// How a child process was started by its supervisor (passed on its command line).
public struct ChildOptions: Sendable {
  /// The descriptor of the socket to the supervisor.
  public static let defaultSocketFD: Int32 = 3
  /// The descriptor of the pipe whose end-of-file tells the supervisor that the child has
  /// exited, where the supervisor has no pidfds (open only then).
  public static let exitPipeFD: Int32 = 4

  /// The socket to the supervisor.
  public var socketFD: Int32
  /// The supervisor's pid; the child exits at once if its parent is already someone else.
  public var parentPID: Int32
  /// How often the child tells the supervisor it is alive.
  public var heartbeatInterval: Duration

  /// Creates options.
  public init(
    socketFD: Int32 = ChildOptions.defaultSocketFD, parentPID: Int32,
    heartbeatInterval: Duration
  ) {
    self.socketFD = socketFD
    self.parentPID = parentPID
    self.heartbeatInterval = heartbeatInterval
  }
}

/// The main loop of a child process: wait for a task, run it, report, repeat.
///
/// A child holds at most one task, which it starts as soon as it receives it. It dies with its
/// supervisor (`PR_SET_PDEATHSIG`, and EOF on its socket), ignores the signals the supervisor
/// interprets (HUP, TTIN, TTOU, USR1, and INT/QUIT that a terminal sends to the whole group),
/// and sends heartbeats from a dedicated thread.
public enum ChildRuntime {
  /// Runs until the supervisor says `shutdown` or goes away; never returns.
  public static func run(registry: TaskRegistry, options: ChildOptions) async -> Never {
    // The processes a task starts must not inherit the supervisor's descriptors: a copy of
    // the exit pipe would hide the child's exit from the supervisor until they ended too.
    for descriptor in [options.socketFD, ChildOptions.exitPipeFD] {
      _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    }
    dieWithParent(options)
    for signal in [SIGHUP, SIGTTIN, SIGTTOU, SIGUSR1, SIGINT, SIGQUIT, SIGPIPE] {
      _ = celeriac_ignore_signal(signal)
    }
    // A hung child gets SIGABRT from the supervisor: it must end, not be caught by the
    // Swift runtime's backtracer.
    _ = celeriac_reset_signal_handler(SIGABRT)
    // A supervisor busy with a slow broker call may not read for a while: a child waits
    // much longer than the supervisor does for a child.
    let channel = LineChannel(fd: options.socketFD, sendTimeout: childSendTimeout)
    do {
      try channel.send(ChildEvent.ready(pid: getpid()))
    } catch {
      exit(0)
    }
    startHeartbeat(channel: channel, interval: options.heartbeatInterval)
    while true {
      let command: SupervisorCommand?
      do {
        command = try channel.receive(SupervisorCommand.self)
      } catch {
        writeError("child \(getpid()): \(error)")
        exit(1)
      }
      switch command {
      case .run(let request):
        if let problem = request.message.validationProblem {
          report(request, .failure(TaskFailure(type: "ValueError", message: problem)), channel)
          continue
        }
        let outcome = await execute(request, registry: registry, channel: channel)
        report(request, outcome, channel)
      case .shutdown, nil:
        exit(0)
      }
    }
  }

  /// How long a child's write may wait for its supervisor to read.
  static let childSendTimeout: Duration = .seconds(600)

  /// Sends `finished`; an outcome too large for the channel is replaced by a failure that
  /// says so (Celery's `EncodeError`), so the task fails cleanly instead of its child dying.
  static func report(_ request: RunRequest, _ outcome: TaskOutcome, _ channel: LineChannel) {
    let rss = residentKiB()
    do {
      let line: Data
      do {
        line = try channel.encodeLine(
          ChildEvent.finished(tag: request.tag, outcome: outcome, rssKiB: rss))
      } catch {
        let failure = TaskFailure(
          type: "EncodeError", message: "the task's outcome cannot be sent: \(error)",
          module: "kombu.exceptions")
        line = try channel.encodeLine(
          ChildEvent.finished(tag: request.tag, outcome: .failure(failure), rssKiB: rss))
      }
      try channel.sendLine(line)
    } catch {
      exit(0)
    }
  }

  /// Asks the kernel to SIGKILL this process when its supervisor dies, then exits at once if
  /// the supervisor is already gone. Call it on the process's main thread first (the setting
  /// is kept per thread); calling it again is harmless.
  public static func dieWithParent(_ options: ChildOptions) {
    _ = celeriac_set_parent_death_signal(SIGKILL)
    if getppid() != options.parentPID { exit(0) }
  }

  /// Runs one task and describes how it ended; a soft time limit cancels it.
  static func execute(_ request: RunRequest, registry: TaskRegistry, channel: LineChannel) async
    -> TaskOutcome
  {
    let message = request.message
    guard let task = registry[message.name] else {
      return .failure(
        TaskFailure(
          type: TaskFailure.notRegistered, message: "task '\(message.name)' is not registered",
          module: TaskFailure.celeryExceptionsModule))
    }
    let tag = request.tag
    let context = TaskContext(
      taskID: message.id, name: message.name, retries: message.retries, queue: message.queue
    ) { state, meta in
      try? channel.send(ChildEvent.progress(tag: tag, state: state, meta: meta))
    }
    let work = Task { try await task.handler(message.args, message.kwargs, context) }
    let softLimit = request.softTimeLimit.map { seconds in
      Task {
        try? await Task.sleep(for: .seconds(fractional: seconds))
        if !Task.isCancelled { work.cancel() }
      }
    }
    defer { softLimit?.cancel() }
    do {
      return .success(try await work.value)
    } catch let retry as RetryRequest {
      return .retry(countdown: retry.countdown.map { $0.seconds }, reason: retry.reason)
    } catch {
      var failure = TaskFailure(describing: error)
      if failure.traceback == nil {
        failure.traceback = traceback(of: error, failure, message: message)
      }
      return .failure(failure)
    }
  }

  /// A traceback in the layout Celery stores (Python's, which Flower and `AsyncResult`
  /// show): where the task ran, the error as Swift describes it, then `Type: message`. Swift
  /// errors carry no stack of where they were thrown.
  static func traceback(of error: any Error, _ failure: TaskFailure, message: TaskMessage)
    -> String
  {
    let detail = String(reflecting: error)
    var lines = [
      "Traceback (most recent call last):",
      "  Task \(message.name)[\(message.id)] in child \(getpid()), attempt \(message.retries + 1)",
    ]
    // A TaskFailure says no more than its last line; another error's dump may say more.
    if !(error is TaskFailure) && detail != failure.message && detail.utf8.count <= 4_096 {
      lines.append("    \(detail)")
    }
    lines.append("\(failure.type): \(failure.message)")
    return lines.joined(separator: "\n")
  }

  private static func startHeartbeat(channel: LineChannel, interval: Duration) {
    let thread = Thread {
      while true {
        Thread.sleep(forTimeInterval: interval.seconds)
        do {
          try channel.send(ChildEvent.heartbeat)
        } catch {
          exit(0)
        }
      }
    }
    thread.name = "celeriac-heartbeat"
    thread.start()
  }

  /// The peak resident set size of this process in KiB (`getrusage`'s `ru_maxrss`, what
  /// Celery's `--max-memory-per-child` checks too): one system call, no file to read.
  static func residentKiB() -> Int {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    return Int(usage.ru_maxrss)
  }

  static func writeError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }
}
