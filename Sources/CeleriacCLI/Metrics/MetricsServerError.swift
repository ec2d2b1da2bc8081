/// Why the metrics endpoint could not start.
struct MetricsServerError: Error, CustomStringConvertible {
  /// What went wrong.
  enum Code: Sendable {
    /// The address is not an IPv4 address.
    case invalidAddress
    /// The socket could not be created, bound or listened on (the port is taken, …).
    case cannotListen
  }

  /// What went wrong.
  let code: Code
  /// One line for the operator.
  let description: String

  init(_ code: Code, _ description: String) {
    self.code = code
    self.description = description
  }
}
