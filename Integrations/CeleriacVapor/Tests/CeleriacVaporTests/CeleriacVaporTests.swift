import CeleriacVapor
import Foundation
import Testing
import Vapor
import VaporTesting

@Suite("Celeriac in a Vapor server")
struct CeleriacVaporTests {
  /// Routes that send through `req.celeriac` and read results back.
  static func routes(_ app: Application) {
    app.post("add", ":x", ":y") { req async throws -> String in
      guard let x = req.parameters.get("x", as: Int64.self),
        let y = req.parameters.get("y", as: Int64.self)
      else { throw Abort(.badRequest, reason: "x and y must be integers") }
      return try await req.celeriac.send("tasks.add", args: [.int(x), .int(y)]).id
    }
    app.get("tasks", ":id") { req async throws -> String in
      let id = try req.parameters.require("id")
      return try await req.celeriac.result(for: id).state().rawValue
    }
    app.get("tasks", ":id", "value") { req async throws -> String in
      let id = try req.parameters.require("id")
      let value = try await req.celeriac.result(for: id).get(as: Int64.self, timeout: .seconds(20))
      return String(value)
    }
  }

  /// A fresh folder for one test's SQLite file.
  static func temporaryDirectory() throws -> String {
    let directory = NSTemporaryDirectory() + "celeriac-vapor-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
  }

  @Test("a running server sends through req.celeriac; shutdown closes the connections")
  func sendsThroughTheServer() async throws {
    let directory = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let celeriac = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: "sqlite://\(directory)/celeriac.db"))
    try await withApp { app in
      app.celeriac.use(celeriac)
      Self.routes(app)
      let server = try app.testing(method: .running(hostname: "127.0.0.1", port: 0))
      var id = ""
      try await server.test(.POST, "add/2/3") { response in
        #expect(response.status == .ok)
        id = response.body.string
      }
      #expect(id.count == 36)
      #expect(celeriac.isConnected)
      try await server.test(.GET, "tasks/\(id)") { response in
        #expect(response.body.string == "PENDING")
      }
      let broker = try celeriac.connection().broker
      #expect(try broker.depths(of: ["celery"])["celery"] == 1)
      let claimed = try broker.claim(
        from: ["celery"], limit: 1, consumer: ConsumerIdentity(id: "vapor-test"))
      #expect(claimed.deliveries.first?.message.name == "tasks.add")
      #expect(claimed.deliveries.first?.message.args == [2, 3])
    }
    #expect(!celeriac.isConnected)
  }

  @Test("a task sent through the server runs in a real worker and its value comes back")
  func workerRunsTheTask() async throws {
    let directory = try Self.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let brokerURL = "sqlite://\(directory)/celeriac.db"
    let worker = try WorkerProcess(brokerURL: brokerURL, logPath: "\(directory)/worker.log")
    defer { worker.stop() }
    try await withApp { app in
      let celeriac = app.celeriac.use(CeleriacConfiguration(brokerURL: brokerURL))
      // Its Redis producer would share the application's loops, not start threads of its own.
      #expect(celeriac.eventLoopGroup === app.eventLoopGroup)
      Self.routes(app)
      let server = try app.testing(method: .running(hostname: "127.0.0.1", port: 0))
      var id = ""
      try await server.test(.POST, "add/40/2") { response in id = response.body.string }
      try await server.test(.GET, "tasks/\(id)/value") { response in
        #expect(response.status == .ok)
        #expect(response.body.string == "42")
      }
      try await server.test(.GET, "tasks/\(id)") { response in
        #expect(response.body.string == "SUCCESS")
      }
    }
  }

  @Test("a handler on an application without app.celeriac.use answers 500 with the reason")
  func notConfigured() async throws {
    try await withApp { app in
      app.get { req async throws -> String in
        _ = try req.celeriac
        return "unreachable"
      }
      try await app.testing().test(.GET, "/") { response in
        #expect(response.status == .internalServerError)
        #expect(response.body.string.contains("app.celeriac.use"))
      }
    }
  }

  @Test("a broker that cannot be reached stops the boot with its reason")
  func unreachableBrokerFailsBoot() async throws {
    let app = try await Application.make(.testing)
    // A port nothing listens on: the connection is refused at once.
    app.celeriac.use(CeleriacConfiguration(brokerURL: "redis://127.0.0.1:1/0"))
    let error = await #expect(throws: (any Error).self) { try await app.asyncBoot() }
    #expect("\(error.map { "\($0)" } ?? "")".contains("127.0.0.1:1"))
    try await app.asyncShutdown()
  }
}
