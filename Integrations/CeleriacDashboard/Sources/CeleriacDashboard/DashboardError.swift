import Celeriac
import Foundation
import Hummingbird

/// An error of the dashboard: a request it refuses (answered with its status and a JSON
/// `{"error": message}`) or a configuration it will not start with.
public struct DashboardError: Error, HTTPResponseError, CustomStringConvertible {
  /// What kind of problem this is.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private enum Kind: String {
      case badRequest, unauthorized, notFound, unsupported, insecureBinding, forbidden
      case invalidConfiguration
    }
    private let kind: Kind

    /// A query parameter, id or body that is not acceptable (400).
    public static let badRequest = Code(kind: .badRequest)
    /// Credentials missing or wrong (401).
    public static let unauthorized = Code(kind: .unauthorized)
    /// An action without the dashboard's own request header (403: a cross-site form).
    public static let forbidden = Code(kind: .forbidden)
    /// No such task, dead letter or page (404).
    public static let notFound = Code(kind: .notFound)
    /// The broker or backend cannot do this (501: e.g. a backend that lists no tasks).
    public static let unsupported = Code(kind: .unsupported)
    /// A flag or setting the dashboard cannot start with (a port out of range).
    public static let invalidConfiguration = Code(kind: .invalidConfiguration)
    /// A non-loopback address without basic auth or a token: the dashboard does not start.
    public static let insecureBinding = Code(kind: .insecureBinding)

    /// The code's name.
    public var description: String { kind.rawValue }
  }

  /// What kind of problem this is.
  public let code: Code
  /// One line naming the problem.
  public let message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// The message.
  public var description: String { message }

  /// The HTTP status it is answered with.
  public var status: HTTPResponse.Status {
    switch code {
    case .badRequest: .badRequest
    case .unauthorized: .unauthorized
    case .forbidden: .forbidden
    case .notFound: .notFound
    case .unsupported: .notImplemented
    default: .internalServerError
    }
  }

  /// `{"error": message}` with the status; a 401 asks for basic auth when that is configured.
  public func response(from request: Request, context: some RequestContext) throws -> Response {
    var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
    if code == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"celeriac\"" }
    let body = JSONWriter.string(.object(["error": .string(message)]))
    return Response(
      status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
  }
}
