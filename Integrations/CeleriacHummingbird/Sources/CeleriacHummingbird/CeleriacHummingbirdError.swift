import Hummingbird

/// A misuse of the integration, answered with a status and a one-line body.
public struct CeleriacHummingbirdError: Error, HTTPResponseError, CustomStringConvertible {
  /// What went wrong.
  public struct Code: Hashable, Sendable {
    private enum Kind { case middlewareMissing }
    private let kind: Kind

    /// A handler read `context.celeriac` on a router without ``CeleriacMiddleware``.
    public static let middlewareMissing = Code(kind: .middlewareMissing)
  }

  /// What went wrong.
  public let code: Code

  /// An error of `code`.
  public init(_ code: Code) {
    self.code = code
  }

  /// The one-line explanation.
  public var description: String {
    "context.celeriac is not set: add CeleriacMiddleware(app:) to the router"
  }

  /// Always 500: the server is misconfigured.
  public var status: HTTPResponse.Status { .internalServerError }

  /// The explanation as a plain-text body.
  public func response(from request: Request, context: some RequestContext) throws -> Response {
    Response(
      status: status, headers: [.contentType: "text/plain; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(string: description + "\n")))
  }
}
