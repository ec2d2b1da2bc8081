import Celeriac
import Vapor

extension Request {
  /// The application's ``CeleriacApp`` (set with `app.celeriac.use(...)`), for sending from a
  /// route handler: `try await req.celeriac.send("tasks.add", args: [2, 3])`. Sends and
  /// result waits suspend the handler without blocking the event loop or a thread of the
  /// cooperative pool.
  ///
  /// - Throws: ``CeleriacVaporError`` `.notConfigured` (answered as a 500 whose body says so)
  ///   when the application never called `app.celeriac.use(...)`.
  public var celeriac: CeleriacApp {
    get throws { try application.celeriac.requireApp() }
  }
}
