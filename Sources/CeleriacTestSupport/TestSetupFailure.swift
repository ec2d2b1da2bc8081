/// A test's set-up went wrong (a missing program, a server that did not start), with a message
/// naming the fix.
public struct TestSetupFailure: Error, CustomStringConvertible {
  /// The one-line explanation.
  public let description: String

  /// A failure with the given explanation.
  public init(_ description: String) {
    self.description = description
  }
}
