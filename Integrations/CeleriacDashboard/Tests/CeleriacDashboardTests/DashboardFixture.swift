import CeleriacDashboard
import Foundation

/// A real SQLite file with a few stored results and one dead letter, and a dashboard over it.
struct DashboardFixture {
  let directory: String
  let app: CeleriacApp
  let connection: Connection
  let failedID = "f-" + UUID().uuidString.lowercased()
  let succeededID = "s-" + UUID().uuidString.lowercased()
  let startedID = "r-" + UUID().uuidString.lowercased()

  init() throws {
    directory = NSTemporaryDirectory() + "celeriac-dashboard-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    app = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: "sqlite://\(directory)/celeriac.db"))
    connection = try app.connection()
  }

  /// Stores a success, a failure with a traceback and a running task, one second apart, and
  /// dead-letters one message of queue `images`.
  func seed() throws {
    let base = Date().addingTimeInterval(-10)
    let message = TaskMessage(
      id: failedID, name: "tasks.fail", args: ["boom"], kwargs: ["level": 3], queue: "images")
    var failed = TaskResultRecord(
      taskID: failedID, state: .failure,
      failure: TaskFailure(
        type: "ValueError", message: "boom",
        traceback: "Traceback (most recent call last):\nValueError: boom"),
      dateDone: base.addingTimeInterval(2), name: "tasks.fail", retries: 1)
    failed = failed.describing(message, worker: "w1@test", pid: 4242, started: base)
    let succeeded = TaskResultRecord(
      taskID: succeededID, state: .success, result: 5, dateDone: base.addingTimeInterval(1),
      name: "tasks.add")
    let started = TaskResultRecord(
      taskID: startedID, state: .started, dateDone: base.addingTimeInterval(3),
      name: "tasks.sleep")
    try connection.backend.store([failed, succeeded, started], expiresIn: .seconds(3_600))
    try connection.broker.publish([TaskMessage(name: "tasks.bad", queue: "images")])
    let claimed = try connection.broker.claim(
      from: ["images"], limit: 1, consumer: ConsumerIdentity(id: "fixture"))
    try connection.broker.deadLetter(claimed.deliveries[0].tag, reason: "bad on purpose")
  }

  /// A dashboard on an ephemeral loopback port.
  func server(authentication: DashboardAuthentication = .none) throws -> DashboardServer {
    try DashboardServer(
      configuration: DashboardConfiguration(
        host: "127.0.0.1", port: 0, authentication: authentication,
        brokerURL: app.configuration.brokerURL, controlTimeout: .milliseconds(200)),
      connection: connection)
  }

  func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
