import Celeriac
import Foundation

/// Who may use the dashboard: anyone (loopback only), a basic-auth user, or the holders of a
/// token (`Authorization: Bearer TOKEN`, or `?token=TOKEN` once, which sets a cookie).
public enum DashboardAuthentication: Sendable, Equatable {
  /// No credentials: allowed only on a loopback address.
  case none
  /// HTTP basic auth with this user and password.
  case basic(user: String, password: String)
  /// A bearer token.
  case token(String)

  /// The cookie that carries the token after `?token=` was given once.
  public static let tokenCookie = "celeriac_dashboard_token"
  /// The shortest password or token accepted.
  public static let minimumSecretLength = 8

  /// Whether the request's credentials are accepted: its `Authorization` header, the
  /// `token` query parameter, or the token cookie.
  public func admits(authorization: String?, queryToken: String?, cookieToken: String?) -> Bool {
    switch self {
    case .none:
      return true
    case .basic(let user, let password):
      guard let authorization, authorization.hasPrefix("Basic "),
        let data = Data(base64Encoded: String(authorization.dropFirst(6))),
        let pair = String(data: data, encoding: .utf8)
      else { return false }
      return Self.equal(pair, "\(user):\(password)")
    case .token(let token):
      if let authorization, authorization.hasPrefix("Bearer "),
        Self.equal(String(authorization.dropFirst(7)), token)
      {
        return true
      }
      return [queryToken, cookieToken].contains { $0.map { Self.equal($0, token) } ?? false }
    }
  }

  /// Compares in time that depends only on the lengths, not on where the texts differ.
  static func equal(_ given: String, _ expected: String) -> Bool {
    let a = Array(given.utf8)
    let b = Array(expected.utf8)
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for index in 0..<max(a.count, b.count) {
      difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
    }
    return difference == 0
  }
}
