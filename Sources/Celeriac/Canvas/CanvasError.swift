/// Why a chain, group or chord cannot be sent: found by checking the whole canvas before
/// anything is sent (``CeleriacApp/chain(_:)``, ``CeleriacApp/group(_:)``,
/// ``CeleriacApp/chord(_:body:)``). Its description is one line naming the signature at fault.
public struct CanvasError: Error, Sendable, CustomStringConvertible, Equatable {
  /// What kind of problem this is.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private enum Kind: String {
      case empty, emptyChordHeader, noTaskName, invalidOption, cycle, tooLarge, tooDeep
    }
    private let kind: Kind

    /// A chain or a group without any task.
    public static let empty = Code(kind: .empty)
    /// A chord whose header has no task (its body would wait for nothing).
    public static let emptyChordHeader = Code(kind: .emptyChordHeader)
    /// A signature (a step, member, body or link) that names no task.
    public static let noTaskName = Code(kind: .noTaskName)
    /// A signature option out of range (a priority outside 0…9, a task id that is empty or
    /// too long).
    public static let invalidOption = Code(kind: .invalidOption)
    /// The canvas refers to itself: one task id given to two of its signatures (a link, a
    /// later step or the chord body that *is* an earlier task), so that a task would wait for
    /// or call itself, or two results would overwrite each other.
    public static let cycle = Code(kind: .cycle)
    /// More signatures than ``CeleriacApp/maximumCanvasSize``.
    public static let tooLarge = Code(kind: .tooLarge)
    /// Links nested deeper than ``CanvasError/maximumDepth``.
    public static let tooDeep = Code(kind: .tooDeep)

    /// The code's name.
    public var description: String { kind.rawValue }
  }

  /// The deepest nesting of links (a link's link's …) accepted.
  public static let maximumDepth = 32

  /// What kind of problem this is.
  public var code: Code
  /// One line naming the problem and where it is.
  public var message: String

  /// Creates an error.
  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// The message.
  public var description: String { message }
}
