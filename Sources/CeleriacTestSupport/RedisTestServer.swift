import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A throw-away `redis-server` on a free loopback port, for tests.
///
/// It runs in the foreground (`--daemonize no`) with its log and data in ``directory``, so that
/// it can be stopped (as a crash would) and started again on the same port with the same data.
/// ``start()`` returns once the server answers PING; ``stop()`` (or deinit) kills it.
public final class RedisTestServer: @unchecked Sendable {
  /// The server binary (`apt-get install -y redis-server`).
  public static let executable = "/usr/bin/redis-server"

  /// The plain TCP port.
  public let port: Int
  /// The TLS port, when created with TLS files.
  public let tlsPort: Int?
  /// Where the server keeps its log and any append-only file.
  public let directory: String
  /// The arguments after the port, directory and log file.
  public let extraArguments: [String]
  private let ownsDirectory: Bool
  private var process: Process?

  /// Creates (but does not start) a server.
  ///
  /// - Parameters:
  ///   - directory: where its files go; by default a fresh temporary directory, removed at
  ///     deinit.
  ///   - appendOnly: persistence with an fsync per write (so that a killed server loses
  ///     nothing); otherwise none.
  ///   - extraArguments: more server arguments, e.g. `["--requirepass", "pw"]`.
  ///   - tls: the certificate, key and CA files of a TLS port beside the plain one.
  public init(
    directory: String? = nil, appendOnly: Bool = false, extraArguments: [String] = [],
    tls: (certificate: String, key: String, ca: String)? = nil
  ) throws {
    guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
      throw TestSetupFailure(
        "\(Self.executable) not found: apt-get install -y redis-server "
          + "(or run ./Scripts/install-dependencies)")
    }
    port = try Self.freePort()
    ownsDirectory = directory == nil
    self.directory =
      directory
      ?? FileManager.default.temporaryDirectory
      .appendingPathComponent("celeriac-redis-\(getpid())-\(port)").path
    try FileManager.default.createDirectory(
      atPath: self.directory, withIntermediateDirectories: true)
    var arguments =
      appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]
    if let tls {
      let tlsPort = try Self.freePort()
      self.tlsPort = tlsPort
      arguments += [
        "--tls-port", "\(tlsPort)", "--tls-cert-file", tls.certificate, "--tls-key-file", tls.key,
        "--tls-ca-cert-file", tls.ca, "--tls-auth-clients", "no",
      ]
    } else {
      tlsPort = nil
    }
    self.extraArguments = arguments + extraArguments
  }

  /// Creates a server (see ``init(directory:appendOnly:extraArguments:tls:)``) and starts it.
  public static func started(
    directory: String? = nil, appendOnly: Bool = false, extraArguments: [String] = [],
    tls: (certificate: String, key: String, ca: String)? = nil
  ) async throws -> RedisTestServer {
    let server = try RedisTestServer(
      directory: directory, appendOnly: appendOnly, extraArguments: extraArguments, tls: tls)
    try await server.start()
    return server
  }

  deinit {
    stop()
    if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
  }

  /// `redis://127.0.0.1:<port>/<database>`.
  public func url(_ database: Int) -> String { "redis://127.0.0.1:\(port)/\(database)" }

  /// `redis://` plus `userInfo` (e.g. `"user:pw@"`), `127.0.0.1:<port>`, plus `suffix` (e.g.
  /// `"/2"`).
  public func url(userInfo: String = "", suffix: String = "") -> String {
    "redis://\(userInfo)127.0.0.1:\(port)\(suffix)"
  }

  /// Starts the server and waits until it answers PING on its plain port.
  ///
  /// - Throws: ``TestSetupFailure`` with the end of the server's log when it exits at
  ///   start-up or does not answer within 10 s.
  public func start() async throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.executable)
    process.arguments =
      [
        "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--daemonize", "no",
        "--dir", directory, "--logfile", logPath,
      ] + extraArguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    self.process = process
    let port = self.port
    let up = try await waitUntil(timeout: .seconds(10)) {
      !process.isRunning || Self.answersPing(port: port)
    }
    guard process.isRunning else {
      throw TestSetupFailure("redis-server exited at start-up: \(log())")
    }
    guard up else {
      stop()
      throw TestSetupFailure("redis-server did not answer PING within 10 s: \(log())")
    }
  }

  /// Kills the server (SIGKILL, as a crash would: no shutdown work to wait for, and a test
  /// process may have SIGTERM blocked, which redis-server inherits) and reaps it.
  public func stop() {
    guard let process, process.isRunning else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    self.process = nil
  }

  /// The end of the server's log file, for failure messages.
  public func log() -> String {
    String(((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").suffix(1_000))
  }

  /// Runs `redis-cli` with `arguments` on `database` and returns its output, trimmed.
  @discardableResult
  public func command(_ arguments: [String], database: Int = 0) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
    process.arguments = ["-p", "\(port)", "-n", "\(database)"] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// How many of the server's clients are subscribed to at least one channel (`CLIENT LIST`'s
  /// `sub=` field).
  public func subscribedClients() throws -> Int {
    try command(["CLIENT", "LIST"]).split(whereSeparator: \.isNewline)
      .filter { $0.split(separator: " ").contains { $0.hasPrefix("sub=") && $0 != "sub=0" } }
      .count
  }

  /// How many subscribers each of `channels` has (`PUBSUB NUMSUB`, which answers each
  /// channel's name, then its count); pub/sub does not depend on the database.
  public func subscriberCounts(_ channels: [String]) throws -> [Int] {
    let lines = try command(["PUBSUB", "NUMSUB"] + channels).split(whereSeparator: \.isNewline)
    return stride(from: 1, to: lines.count, by: 2).map { Int(lines[$0]) ?? -1 }
  }

  /// How many of the server's clients are blocked in a command (`BLMOVE`, `BRPOP`), from
  /// `INFO clients`; -1 when the field is missing.
  public func blockedClients() throws -> Int {
    // INFO ends its lines with CRLF, one Character in Swift: split on any newline.
    let line = try command(["INFO", "clients"]).split(whereSeparator: \.isNewline)
      .first { $0.hasPrefix("blocked_clients:") }
    return line.flatMap { Int($0.dropFirst("blocked_clients:".count)) } ?? -1
  }

  private var logPath: String { directory + "/redis-\(port).log" }

  /// Whether a plain connection to `port` gets `+PONG` (or `-NOAUTH`: up, password needed).
  public static func answersPing(port: Int) -> Bool {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { return false }
    defer { close(socketFD) }
    var address = loopback(port: port)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { return false }
    let ping = Array("*1\r\n$4\r\nPING\r\n".utf8)
    guard write(socketFD, ping, ping.count) == ping.count else { return false }
    var reply = [UInt8](repeating: 0, count: 64)
    let count = read(socketFD, &reply, reply.count)
    guard count > 0 else { return false }
    let text = String(decoding: reply[0..<count], as: UTF8.self)
    return text.hasPrefix("+PONG") || text.hasPrefix("-NOAUTH")
  }

  /// A loopback port that was free a moment ago (bound to port 0, then released).
  public static func freePort() throws -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw TestSetupFailure("socket() failed") }
    defer { close(socketFD) }
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(socketFD, $0, length) == 0 && getsockname(socketFD, $0, &length) == 0
      }
    }
    guard bound else { throw TestSetupFailure("cannot bind a loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
  }

  private static func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    return address
  }
}
