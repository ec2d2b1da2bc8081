/// The check a broker makes on each encoded message before it stores it: a producer gets a
/// clear error for a message over the broker's limit instead of a broker that fills up.
public enum PayloadLimit {
  /// Throws ``CeleriacError`` `.invalidArguments` when `payload` is over `maximum` bytes.
  public static func check(_ payload: String, of message: TaskMessage, maximum: Int)
    throws(CeleriacError)
  {
    let size = payload.utf8.count
    guard size > maximum else { return }
    throw CeleriacError(
      .invalidArguments,
      "task \(message.id) (\(message.name)): the message is \(size) bytes, over the broker's limit of \(maximum) bytes"
    )
  }
}
