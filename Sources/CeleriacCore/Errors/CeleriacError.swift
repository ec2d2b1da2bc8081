/// An error from Celeriac itself (not from a task): bad configuration, a broker that does not
/// answer, a malformed message. Its description is one line naming the problem.
public struct CeleriacError: Error, Sendable, CustomStringConvertible, Equatable {
  /// What kind of problem this is.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private enum Kind: String {
      case invalidURL, brokerUnavailable, backendUnavailable, malformedMessage, unknownTask
      case invalidArguments, invalidConfiguration, timeout, taskFailed, protocolError
      case spawnFailed
    }
    private let kind: Kind

    /// A broker or backend URL that cannot be understood.
    public static let invalidURL = Code(kind: .invalidURL)
    /// The broker cannot be opened or does not answer.
    public static let brokerUnavailable = Code(kind: .brokerUnavailable)
    /// The result backend cannot be opened or does not answer.
    public static let backendUnavailable = Code(kind: .backendUnavailable)
    /// A message that is not a valid task message.
    public static let malformedMessage = Code(kind: .malformedMessage)
    /// A task name that is not registered.
    public static let unknownTask = Code(kind: .unknownTask)
    /// Arguments that do not fit a task or a command.
    public static let invalidArguments = Code(kind: .invalidArguments)
    /// A configuration value or file that cannot be used.
    public static let invalidConfiguration = Code(kind: .invalidConfiguration)
    /// Waiting for something took longer than allowed.
    public static let timeout = Code(kind: .timeout)
    /// A task finished with `FAILURE` (eager mode and `get()` surface it this way).
    public static let taskFailed = Code(kind: .taskFailed)
    /// A peer (child, Redis) broke the protocol.
    public static let protocolError = Code(kind: .protocolError)
    /// A child process could not be started.
    public static let spawnFailed = Code(kind: .spawnFailed)

    /// The code's name.
    public var description: String { kind.rawValue }
  }

  /// What kind of problem this is.
  public var code: Code
  /// One line naming the problem.
  public var message: String
  /// Whether trying again later may succeed (a broker that refused or dropped the
  /// connection, or timed out), as opposed to a problem that only a change can fix (a bad URL,
  /// refused credentials, a missing directory).
  public var isTransient: Bool

  /// Creates an error.
  public init(_ code: Code, _ message: String, isTransient: Bool = false) {
    self.code = code
    self.message = message
    self.isTransient = isTransient
  }

  /// The message.
  public var description: String { message }
}
