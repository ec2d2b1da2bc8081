import Celeriac
import Vapor

extension Application {
  /// Celeriac on this application: configure it once with ``Celeriac/use(_:connectsAtBoot:)``,
  /// then send from route handlers with `req.celeriac`.
  ///
  /// ```swift
  /// app.celeriac.use(CeleriacApp(configuration: .init(brokerURL: "redis://127.0.0.1:6379/0")))
  /// app.post("thumbnails") { req async throws -> String in
  ///   try await req.celeriac.send("images.thumbnail", args: ["/uploads/cat.png"]).id
  /// }
  /// ```
  public var celeriac: Celeriac { Celeriac(application: self) }

  /// The Celeriac side of an `Application`: the app that routes send through, and its
  /// connections tied to the application's boot and shutdown.
  public struct Celeriac: Sendable {
    private let application: Application

    init(application: Application) {
      self.application = application
    }

    /// The app set by ``use(_:connectsAtBoot:)``, or nil before it.
    public var app: CeleriacApp? {
      application.storage[AppKey.self]
    }

    /// Makes `app` the one route handlers send through (`req.celeriac`), and ties its
    /// connections to the application: with `connectsAtBoot` (the default) they open when the
    /// application boots, so a broker that cannot be reached stops the boot with its reason;
    /// they close when the application shuts down. Calling it again replaces the app (the
    /// replaced app's connections are closed at shutdown too).
    public func use(_ app: CeleriacApp, connectsAtBoot: Bool = true) {
      application.storage[AppKey.self] = app
      application.lifecycle.use(CeleriacLifecycle(app: app, connectsAtBoot: connectsAtBoot))
    }

    /// A new app with `configuration` (and `name`, shown in logs), made the application's with
    /// ``use(_:connectsAtBoot:)``; returns it so tasks can be registered on it. Its Redis
    /// producer keeps its connections on the application's event loops (no thread of its own).
    @discardableResult
    public func use(
      _ configuration: CeleriacConfiguration, name: String = "celeriac",
      connectsAtBoot: Bool = true
    ) -> CeleriacApp {
      let app = CeleriacApp(
        name: name, configuration: configuration, eventLoopGroup: application.eventLoopGroup)
      use(app, connectsAtBoot: connectsAtBoot)
      return app
    }

    /// The app, or ``CeleriacVaporError`` `.notConfigured`.
    func requireApp() throws -> CeleriacApp {
      guard let app else { throw CeleriacVaporError(.notConfigured) }
      return app
    }
  }

  private struct AppKey: StorageKey {
    typealias Value = CeleriacApp
  }
}
