/// Checks a number of seconds that comes from outside (a flag, a config key, a message
/// header, a send option) against a range, with a one-line reason naming it when it does not
/// fit.
///
/// ```swift
/// let countdown = try SecondsValue.check(1e20, name: "--countdown", range: .delay)
/// // throws: --countdown must be a number of seconds from 0 to 315360000, not 1e+20
/// ```
public struct SecondsValue: Sendable, Equatable {
  /// The accepted bounds, inclusive.
  public var minimum: Double
  /// The accepted bounds, inclusive.
  public var maximum: Double
  /// Whether the minimum itself is refused (for values that must be positive).
  public var excludesMinimum: Bool

  /// Ten years: the longest delay, time limit or lease accepted from outside.
  public static let maximumSeconds: Double = 10 * 365 * 24 * 3600

  /// A delay (countdown, expiry, retry countdown, timeout): 0 to ten years.
  public static let delay = SecondsValue(minimum: 0, maximum: maximumSeconds)
  /// An interval or time limit that must be positive: above 0, up to ten years.
  public static let positive = SecondsValue(
    minimum: 0, maximum: maximumSeconds, excludesMinimum: true)

  /// Creates a range.
  public init(minimum: Double, maximum: Double, excludesMinimum: Bool = false) {
    self.minimum = minimum
    self.maximum = maximum
    self.excludesMinimum = excludesMinimum
  }

  /// Whether `value` is finite and in range.
  public func contains(_ value: Double) -> Bool {
    guard value.isFinite, value <= maximum else { return false }
    return excludesMinimum ? value > minimum : value >= minimum
  }

  /// The reason `value` is refused, naming it as `name`, or `nil` when it is accepted.
  public func problem(with value: Double, name: String) -> String? {
    guard !contains(value) else { return nil }
    let lower = excludesMinimum ? "above \(Self.text(minimum))" : "from \(Self.text(minimum))"
    return "\(name) must be a number of seconds \(lower) to \(Self.text(maximum)), not \(value)"
  }

  /// Returns `value` as a duration, or throws ``CeleriacError`` `.invalidArguments` naming it.
  public static func check(_ value: Double, name: String, range: SecondsValue) throws(CeleriacError)
    -> Duration
  {
    if let problem = range.problem(with: value, name: name) {
      throw CeleriacError(.invalidArguments, problem)
    }
    return .seconds(fractional: value)
  }

  private static func text(_ value: Double) -> String {
    value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
  }
}
