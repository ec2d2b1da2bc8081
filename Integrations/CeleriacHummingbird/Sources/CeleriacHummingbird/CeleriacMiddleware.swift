import Celeriac
import Hummingbird

/// Puts a ``CeleriacApp`` on every request's context, for `context.celeriac`.
///
/// ```swift
/// let router = Router(context: BasicCeleriacRequestContext.self)
/// router.add(middleware: CeleriacMiddleware(app: celeriac))
/// router.post("/add") { _, context in
///   try await context.celeriac.send("tasks.add", args: [2, 3]).id
/// }
/// ```
public struct CeleriacMiddleware<Context: CeleriacRequestContext>: RouterMiddleware {
  /// The app set on each context.
  public let app: CeleriacApp

  /// A middleware that sets `app`.
  public init(app: CeleriacApp) {
    self.app = app
  }

  /// Sets the app on the context, then calls the next responder.
  public func handle(
    _ request: Request, context: Context,
    next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    var context = context
    context.celeriacApp = app
    return try await next(request, context)
  }
}
