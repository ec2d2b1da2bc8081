/// What a new Redis connection sends before its first command, and how the replies are read:
/// `AUTH` (with the ACL user when there is one), `SELECT` and `CLIENT SETNAME` as the URL and
/// options ask, else a `PING` (a server that wants a password says so now). One definition for
/// both transports: the plain-socket ``BlockingRedisConnection`` and the NIO ``RedisConnection``.
struct RedisHandshake {
  /// The commands, sent as one pipeline.
  let commands: [[any RESPArgument]]
  private let url: RedisURL
  /// The position of `AUTH` in ``commands``, if it is sent.
  private let authIndex: Int?

  /// The handshake for `url` with `options`.
  init(url: RedisURL, options: RedisConnectionOptions) {
    var commands: [[any RESPArgument]] = []
    if let password = url.password {
      commands.append(url.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
    }
    if url.database != 0 { commands.append(["SELECT", url.database]) }
    if let name = options.clientName { commands.append(["CLIENT", "SETNAME", name]) }
    if commands.isEmpty { commands.append(["PING"]) }
    self.commands = commands
    self.url = url
    self.authIndex = url.password == nil ? nil : 0
  }

  /// Throws the ``RedisError`` the first error reply stands for: `.authenticationFailed` for
  /// the `AUTH` reply or a NOAUTH / WRONGPASS anywhere, `.serverError` for any other.
  func check(_ replies: [RESPValue]) throws(RedisError) {
    for (index, reply) in replies.enumerated() {
      guard case .error(let message) = reply else { continue }
      if index == authIndex || message.hasPrefix("NOAUTH") || message.hasPrefix("WRONGPASS") {
        let user = url.username.map { " as user '\($0)'" } ?? ""
        throw RedisError(
          code: .authenticationFailed,
          message: "Redis at \(url.endpoint) refused authentication\(user): \(message)")
      }
      throw RedisError(
        code: .serverError(message),
        message: "Redis at \(url.endpoint) refused the connection set-up: \(message)")
    }
  }
}
