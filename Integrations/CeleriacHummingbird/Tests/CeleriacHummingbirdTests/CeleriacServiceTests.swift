import Celeriac
import CeleriacServiceLifecycle
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite("CeleriacService")
struct CeleriacServiceTests {
  @Test("runs in a ServiceGroup, and closes the app's connections on graceful shutdown")
  func gracefulShutdownClosesConnections() async throws {
    let directory = NSTemporaryDirectory() + "celeriac-service-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let app = CeleriacApp(
      configuration: CeleriacConfiguration(brokerURL: "sqlite://\(directory)/celeriac.db"))
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: [.init(service: CeleriacService(app: app))],
        logger: Logger(label: "test")))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      // The service opened the connections at start: sends go through them.
      let sent = try await app.send("tasks.add", args: [1, 2])
      #expect(try await sent.state() == .pending)
      #expect(app.isConnected)
      await group.triggerGracefulShutdown()
      try await tasks.waitForAll()
    }
    #expect(!app.isConnected)
  }
}
