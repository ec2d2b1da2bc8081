import CeleriacHummingbird
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Celeriac in a Hummingbird server")
struct CeleriacHummingbirdTests {
  /// A router whose handlers send through `context.celeriac`.
  static func router(for celeriac: CeleriacApp) -> Router<BasicCeleriacRequestContext> {
    let router = Router(context: BasicCeleriacRequestContext.self)
    router.add(middleware: CeleriacMiddleware(app: celeriac))
    router.post("/add/{x}/{y}") { _, context -> String in
      let x = try context.parameters.require("x", as: Int.self)
      let y = try context.parameters.require("y", as: Int.self)
      return try await context.celeriac.send("tasks.add", args: [.int(Int64(x)), .int(Int64(y))])
        .id
    }
    router.get("/tasks/{id}") { _, context -> String in
      let id = try context.parameters.require("id")
      return try await context.celeriac.result(for: id).state().rawValue
    }
    return router
  }

  @Test("a live server sends through context.celeriac; CeleriacService closes the connections")
  func sendsThroughTheServer() async throws {
    let directory = NSTemporaryDirectory() + "celeriac-hb-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let celeriac = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: "sqlite://\(directory)/celeriac.db"))
    let application = Application(
      router: Self.router(for: celeriac),
      configuration: .init(address: .hostname("127.0.0.1", port: 0)),
      services: [CeleriacService(app: celeriac)])
    try await application.test(.live) { client in
      let id = try await client.execute(uri: "/add/2/3", method: .post) { response in
        #expect(response.status == .ok)
        return String(buffer: response.body)
      }
      #expect(id.count == 36)
      try await client.execute(uri: "/tasks/\(id)", method: .get) { response in
        #expect(String(buffer: response.body) == "PENDING")
      }
      let queued = try celeriac.connection().broker.depths(of: ["celery"])
      #expect(queued["celery"] == 1)
      let message = try celeriac.connection().broker.claim(
        from: ["celery"], limit: 1, consumer: ConsumerIdentity(id: "test"))
      #expect(message.deliveries.first?.message.name == "tasks.add")
      #expect(message.deliveries.first?.message.args == [2, 3])
    }
    #expect(!celeriac.isConnected)
  }

  @Test("a router without the middleware answers 500 with a message")
  func missingMiddleware() async throws {
    let router = Router(context: BasicCeleriacRequestContext.self)
    router.get("/") { _, context -> String in
      _ = try context.celeriac
      return "unreachable"
    }
    try await Application(router: router).test(.router) { client in
      try await client.execute(uri: "/", method: .get) { response in
        #expect(response.status == .internalServerError)
        #expect(String(buffer: response.body).contains("CeleriacMiddleware"))
      }
    }
  }
}
