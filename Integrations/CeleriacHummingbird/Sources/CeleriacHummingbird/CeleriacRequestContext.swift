import Celeriac
import Hummingbird

/// A Hummingbird request context that carries a ``CeleriacApp``: route handlers send tasks
/// with `try await context.celeriac.send(...)`. ``CeleriacMiddleware`` sets it on every request.
public protocol CeleriacRequestContext: RequestContext {
  /// Where ``CeleriacMiddleware`` keeps the app; read it as ``celeriac``.
  var celeriacApp: CeleriacApp? { get set }
}

extension CeleriacRequestContext {
  /// The app set by ``CeleriacMiddleware``.
  ///
  /// - Throws: ``CeleriacHummingbirdError`` `.middlewareMissing` (answered as a 500 whose body
  ///   says so) when the router has no ``CeleriacMiddleware``.
  public var celeriac: CeleriacApp {
    get throws {
      guard let celeriacApp else { throw CeleriacHummingbirdError(.middlewareMissing) }
      return celeriacApp
    }
  }
}

/// The basic context with Celeriac: Hummingbird's `BasicRequestContext` plus the app.
public struct BasicCeleriacRequestContext: CeleriacRequestContext {
  /// Hummingbird's per-request storage.
  public var coreContext: CoreRequestContextStorage
  /// The app, set by ``CeleriacMiddleware``.
  public var celeriacApp: CeleriacApp?

  /// A context for a new request (the app is set by the middleware).
  public init(source: Source) {
    self.coreContext = .init(source: source)
    self.celeriacApp = nil
  }
}
