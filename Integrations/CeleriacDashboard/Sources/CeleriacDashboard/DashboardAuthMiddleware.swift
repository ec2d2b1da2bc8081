import Celeriac
import HTTPTypes
import Hummingbird

/// Checks every request's credentials (``DashboardAuthentication``), and that every `POST`
/// carries the page's own header (`X-Celeriac-Dashboard`), which a cross-site form cannot
/// send. A `?token=` that is accepted sets the token cookie, so the page's own requests carry
/// it.
struct DashboardAuthMiddleware<Context: RequestContext>: RouterMiddleware {
  /// The header every action must carry.
  static var actionHeader: HTTPField.Name { HTTPField.Name("X-Celeriac-Dashboard")! }

  let authentication: DashboardAuthentication

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let queryToken = request.uri.queryParameters["token"].map(String.init)
    let cookieToken = request.cookies[DashboardAuthentication.tokenCookie]?.value
    guard
      authentication.admits(
        authorization: request.headers[.authorization], queryToken: queryToken,
        cookieToken: cookieToken)
    else {
      throw DashboardError(.unauthorized, "credentials required")
    }
    if request.method == .post && request.headers[Self.actionHeader] == nil {
      throw DashboardError(.forbidden, "actions need the X-Celeriac-Dashboard header")
    }
    var response = try await next(request, context)
    if case .token(let token) = authentication, let queryToken,
      DashboardAuthentication.equal(queryToken, token)
    {
      response.setCookie(
        Cookie(
          name: DashboardAuthentication.tokenCookie, value: queryToken, path: "/", httpOnly: true,
          sameSite: .strict))
    }
    return response
  }
}
