import Celeriac
import ServiceLifecycle

/// A ServiceLifecycle `Service` that owns a ``CeleriacApp``'s broker and backend connections:
/// it runs until graceful shutdown (or cancellation) and then closes them, so that a web
/// server's `ServiceGroup` (or Hummingbird's `Application(services:)`) ends them in order.
///
/// ```swift
/// let celeriac = CeleriacService(app: app)
/// let group = ServiceGroup(services: [server, celeriac], logger: logger)
/// try await group.run()
/// ```
/// Put it after the server in the list: ServiceGroup shuts services down in reverse order,
/// so requests still being answered can send until the server has stopped.
public struct CeleriacService: Service {
  /// The app whose connections this service owns.
  public let app: CeleriacApp
  private let connectsAtStart: Bool

  /// A service for `app`; with `connectsAtStart` (the default) it opens the connections when
  /// it starts, so that a broker that cannot be reached is reported at start-up.
  public init(app: CeleriacApp, connectsAtStart: Bool = true) {
    self.app = app
    self.connectsAtStart = connectsAtStart
  }

  /// Opens the connections (see ``init(app:connectsAtStart:)``), waits for graceful shutdown
  /// or cancellation, then closes them.
  public func run() async throws {
    if connectsAtStart { try await app.connect() }
    try? await gracefulShutdown()
    await app.shutdown()
  }
}
