/// An invalid value in a policy configuration (``RestartPolicyConfiguration``,
/// ``AutoscalerConfiguration``).
///
/// `message` is one line naming the setting and the bad value, fit to print as-is,
/// e.g. `autoscale maximum 2 is below minimum 4`.
public struct PolicyConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The one-line explanation.
  public var message: String

  /// An error with the given one-line explanation.
  public init(_ message: String) {
    self.message = message
  }

  /// The one-line explanation.
  public var description: String { message }
}
