/// One worker's answer to a broadcast remote-control request (`celeriac inspect ping`).
public struct ControlReply: Sendable, Equatable {
  /// The longest hostname a reply may carry; longer ones are dropped where replies are read.
  public static let maximumHostnameLength = 512

  /// The worker that answered, e.g. `celeriac@host`.
  public var hostname: String
  /// Its reply, in Celery's shape (e.g. `{"ok": "pong"}`).
  public var reply: JSONValue

  /// Creates a reply.
  public init(hostname: String, reply: JSONValue) {
    self.hostname = hostname
    self.reply = reply
  }

  /// Reads Celery's reply body `{hostname: reply}` (one entry); `nil` when it is not one.
  public init?(body: JSONValue) {
    guard case .object(let fields) = body, fields.count == 1, let (hostname, reply) = fields.first,
      !hostname.isEmpty, hostname.utf8.count <= Self.maximumHostnameLength
    else { return nil }
    self.init(hostname: hostname, reply: reply)
  }
}
