import Celeriac
import CeleriacCore
import CeleriacSQLite
import CeleriacWorker
import Foundation
import Logging
import Testing

/// A supervisor running its real loop on a thread of the test process, with fake children
/// (``FakeChildSpawner``), signals posted by the test (``ManualSignals``), a real SQLite
/// broker in a temporary file, and a probe to await what the loop does.
final class SupervisorHarness: Sendable {
  let spawner = FakeChildSpawner()
  let signals = ManualSignals()
  let probe = SupervisorProbe()
  let broker: SQLiteBroker
  let backend: SQLiteResultBackend
  private let directory: URL

  /// How long any one wait of a test may take before it fails.
  static let timeout: Duration = .seconds(20)

  /// The tasks the fake children know (the supervisor refuses names it has not registered).
  static let registry: TaskRegistry = {
    var registry = TaskRegistry()
    for name in [
      FakeChildSpawner.Behaviour.add, FakeChildSpawner.Behaviour.crashOnce,
      FakeChildSpawner.Behaviour.hold,
    ] {
      registry.register(RegisteredTask(name: name) { _, _, _ in .null })
    }
    return registry
  }()

  /// Opens a fresh SQLite file and starts a supervisor of `concurrency` children on it.
  init(concurrency: Int = 2) throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("celeriac-loop-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let store = try SQLiteStore(path: directory.appendingPathComponent("celeriac.db").path)
    broker = SQLiteBroker(store: store)
    backend = SQLiteResultBackend(store: store)
    var configuration = WorkerConfiguration(
      pools: [PoolConfiguration(queues: ["celery"], minimum: concurrency, maximum: concurrency)],
      hostname: "loop@test")
    configuration.gracefulTimeout = .seconds(30)
    let connection = Connection(broker: broker, backend: backend)
    var logger = Logger(label: "supervisor-loop-test")
    logger.logLevel = .warning
    let supervisor = Supervisor(
      configuration: configuration, registry: Self.registry, connect: { connection },
      executablePath: "/nonexistent/fake-child", childArguments: [], logger: logger,
      spawner: spawner, signals: signals, probe: probe)
    nonisolated(unsafe) let running = supervisor
    Thread { _ = running.run() }.start()
  }

  deinit {
    try? FileManager.default.removeItem(at: directory)
  }

  /// Sends one `name` task per argument list and returns their ids.
  @discardableResult
  func send(_ name: String, args: [[JSONValue]], options: TaskOptions = TaskOptions()) throws
    -> [String]
  {
    let messages = args.map { TaskMessage(name: name, args: $0, options: options) }
    try broker.publish(messages)
    return messages.map(\.id)
  }

  /// Waits until the events satisfy `condition`; records a test failure if they never do.
  func await(
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: @escaping @Sendable ([SupervisorProbe.Event]) -> Bool
  ) async {
    let held = await probe.wait(timeout: Self.timeout, until: condition)
    #expect(held, "timed out waiting for \(what)", sourceLocation: sourceLocation)
  }

  /// Waits until every task of `ids` has a final result, checking after each flush.
  func results(_ ids: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws
    -> [String: TaskResultRecord]
  {
    while true {
      let flushes = probe.events.count { $0 == .flushed }
      let records = try ids.compactMap { try backend.result(for: $0) }
      if records.count == ids.count, records.allSatisfy({ $0.state.isReady }) {
        return Dictionary(uniqueKeysWithValues: records.map { ($0.taskID, $0) })
      }
      let flushed = await probe.wait(timeout: Self.timeout) { events in
        events.count { $0 == .flushed } > flushes
      }
      guard flushed else {
        Issue.record("timed out waiting for the results of \(ids)", sourceLocation: sourceLocation)
        return [:]
      }
    }
  }

  /// Posts `signal` and waits for `run()` to return; returns its exit status.
  func stop(with signal: SupervisorSignal = .term) async -> Supervisor.ExitStatus? {
    signals.post(signal)
    await self.await("the supervisor to exit") { $0.contains { $0.exitStatus != nil } }
    return probe.events.lazy.compactMap(\.exitStatus).first
  }
}

extension SupervisorProbe.Event {
  /// The pid of a `spawned` event.
  var spawnedPID: Int32? {
    if case .spawned(let pid, _) = self { return pid }
    return nil
  }

  /// The pid of a `reaped` event.
  var reapedPID: Int32? {
    if case .reaped(let pid) = self { return pid }
    return nil
  }

  /// The task and pid of a `dispatched` event.
  var dispatched: (taskID: String, pid: Int32)? {
    if case .dispatched(let taskID, let pid) = self { return (taskID, pid) }
    return nil
  }

  /// The status of an `exited` event.
  var exitStatus: Supervisor.ExitStatus? {
    if case .exited(let status) = self { return status }
    return nil
  }
}

extension Array where Element == SupervisorProbe.Event {
  /// How many children were spawned.
  var spawnCount: Int { count { $0.spawnedPID != nil } }
  /// How many children were reaped.
  var reapCount: Int { count { $0.reapedPID != nil } }
  /// The pids tasks went to, in order, for `taskID` (nil: every task).
  func pids(runningTask taskID: String? = nil) -> [Int32] {
    compactMap { $0.dispatched }.filter { taskID == nil || $0.taskID == taskID }.map(\.pid)
  }
}
