import Celeriac
import Vapor

/// Opens a ``CeleriacApp``'s connections when the Vapor application boots and closes them when
/// it shuts down (set by `app.celeriac.use(...)`).
struct CeleriacLifecycle: LifecycleHandler {
  /// The app whose connections this handler owns.
  let app: CeleriacApp
  /// Whether boot opens the connections (else the first send does).
  let connectsAtBoot: Bool

  /// Opens the connections, so that a broker that cannot be reached fails the boot.
  func didBootAsync(_ application: Application) async throws {
    guard connectsAtBoot else { return }
    do {
      try await app.connect()
    } catch {
      application.logger.critical("celeriac: cannot open the broker or backend: \(error)")
      throw error
    }
  }

  /// Closes the connections.
  func shutdownAsync(_ application: Application) async {
    await app.shutdown()
  }
}
