import CeleriacCore
import Foundation

/// A task's rate limit as set at run time by remote control (Celery's `rate_limit` command),
/// in place of the one it was declared with.
enum RateLimitSetting: Equatable {
  /// No limit (Celery's `rate_limit` of `0`, `""` or `None`).
  case unlimited
  /// This limit, in the task's declared scope.
  case limited(RateLimit)

  /// The longest rate text accepted from the wire.
  static let maximumTextLength = 32

  /// Reads a rate as Celery's clients send it: a string (`"10/m"`, `"5"`), a number, or
  /// `null`; `0`, `""` and `null` mean no limit.
  ///
  /// - Throws: ``CeleriacError`` `.invalidArguments` with the reason for anything else.
  init(wire value: JSONValue?) throws(CeleriacError) {
    let text: String
    switch value {
    case .none, .some(.null): text = ""
    case .string(let string)?: text = string
    case .int(let number)?: text = String(number)
    case .double(let number)? where number.isFinite: text = String(number)
    default:
      throw CeleriacError(.invalidArguments, "a rate must be a string or a number")
    }
    guard text.utf8.count <= Self.maximumTextLength else {
      throw CeleriacError(
        .invalidArguments, "a rate has at most \(Self.maximumTextLength) characters")
    }
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    let count = trimmed.split(separator: "/", omittingEmptySubsequences: false).first ?? ""
    if trimmed.isEmpty || Double(count) == 0 {
      self = .unlimited
    } else {
      self = .limited(try RateLimit(trimmed))
    }
  }
}
