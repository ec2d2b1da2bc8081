/// Why an image could not be read or written; its message is shown to the user as is.
struct ImageError: Error, CustomStringConvertible {
  /// The kind of problem.
  struct Code: Hashable, Sendable {
    private enum Kind { case notPNG, malformedImage, unsupported, tooLarge, encodingFailed }
    private let kind: Kind

    /// The file does not start with PNG's signature.
    static let notPNG = Code(kind: .notPNG)
    /// The file is a PNG, but its chunks or data are damaged.
    static let malformedImage = Code(kind: .malformedImage)
    /// A valid PNG of a kind this decoder does not read (interlaced, 1–4-bit palette).
    static let unsupported = Code(kind: .unsupported)
    /// More pixels than the example accepts.
    static let tooLarge = Code(kind: .tooLarge)
    /// The thumbnail could not be encoded.
    static let encodingFailed = Code(kind: .encodingFailed)
  }

  /// The kind of problem.
  let code: Code
  /// One line for the user.
  let message: String

  /// An error of `code`.
  init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// The message.
  var description: String { message }
}
