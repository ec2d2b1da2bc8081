/// The flags of `serve`: `--host` and `--port`.
struct ServeOptions: Sendable {
  /// The address listened on by default: loopback only.
  static let defaultHost = "127.0.0.1"
  /// The port listened on by default.
  static let defaultPort = 8080

  /// A flag that cannot be used.
  struct Failure: Error {
    /// One line naming the flag.
    let message: String
  }

  /// The address to listen on.
  var host = ServeOptions.defaultHost
  /// The port to listen on (0: any free port, printed at start).
  var port = ServeOptions.defaultPort

  /// Parses `arguments` (after `serve`).
  init(_ arguments: [String]) throws(Failure) {
    var remaining = arguments[...]
    while let flag = remaining.popFirst() {
      guard let value = remaining.popFirst() else {
        throw Failure(message: "\(flag) needs a value")
      }
      switch flag {
      case "--host": host = value
      case "--port":
        guard let port = Int(value), (0...65_535).contains(port) else {
          throw Failure(message: "--port must be a number from 0 to 65535, got '\(value)'")
        }
        self.port = port
      default: throw Failure(message: "unknown flag \(flag) (serve takes --host and --port)")
      }
    }
  }
}
