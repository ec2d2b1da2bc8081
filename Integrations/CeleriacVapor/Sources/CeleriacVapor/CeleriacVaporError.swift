import Vapor

/// A misuse of the integration, answered with a status and a one-line reason.
public struct CeleriacVaporError: AbortError, CustomStringConvertible {
  /// What went wrong.
  public struct Code: Hashable, Sendable {
    private enum Kind { case notConfigured }
    private let kind: Kind

    /// A handler read `req.celeriac` on an application without `app.celeriac.use(...)`.
    public static let notConfigured = Code(kind: .notConfigured)
  }

  /// What went wrong.
  public let code: Code

  /// An error of `code`.
  public init(_ code: Code) {
    self.code = code
  }

  /// The one-line explanation.
  public var description: String {
    "req.celeriac is not set: call app.celeriac.use(...) when configuring the application"
  }

  /// The explanation, as Vapor's error middleware shows it.
  public var reason: String { description }

  /// Always 500: the server is misconfigured.
  public var status: HTTPResponseStatus { .internalServerError }
}
