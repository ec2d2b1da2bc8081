import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A throw-away `redis-server` on a free loopback port, for tests.
///
/// It runs in the foreground (`--daemonize no`) without persistence; ``start()`` returns once
/// the server answers PING (polled, no fixed sleep), and ``stop()`` (or deinit) kills it.
final class RedisServerProcess: @unchecked Sendable {
  static let executable = "/usr/bin/redis-server"

  /// The plain TCP port.
  let port: Int
  /// The TLS port, when started with TLS files.
  let tlsPort: Int?
  /// Extra arguments (e.g. `["--requirepass", "pw"]`).
  let extraArguments: [String]
  /// A temporary directory for the server's log and working files.
  let directory: URL
  private var process: Process?

  /// Creates (but does not start) a server; `tls` gives the certificate, key and CA files.
  init(extraArguments: [String] = [], tls: (certificate: String, key: String, ca: String)? = nil)
    throws
  {
    guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
      throw TestFailure("\(Self.executable) not found: apt-get install -y redis-server")
    }
    self.port = try Self.freePort()
    self.directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("celeriac-redis-\(getpid())-\(self.port)")
    try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    var arguments = extraArguments
    if let tls {
      let tlsPort = try Self.freePort()
      self.tlsPort = tlsPort
      arguments += [
        "--tls-port", "\(tlsPort)", "--tls-cert-file", tls.certificate, "--tls-key-file", tls.key,
        "--tls-ca-cert-file", tls.ca, "--tls-auth-clients", "no",
      ]
    } else {
      self.tlsPort = nil
    }
    self.extraArguments = arguments
  }

  deinit {
    self.stop()
    try? FileManager.default.removeItem(at: self.directory)
  }

  /// `redis://127.0.0.1:<port>` plus `suffix` (e.g. `"/2"`), with optional credentials.
  func url(userInfo: String = "", suffix: String = "") -> String {
    "redis://\(userInfo)127.0.0.1:\(self.port)\(suffix)"
  }

  /// Starts the server and waits until it answers on its plain port.
  func start() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.executable)
    process.arguments =
      [
        "--port", "\(self.port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--daemonize", "no", "--dir", self.directory.path,
        "--logfile", self.directory.appendingPathComponent("redis.log").path,
      ] + self.extraArguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    self.process = process
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
      guard process.isRunning else {
        throw TestFailure("redis-server exited at start-up: \(self.log())")
      }
      if Self.answersPing(port: self.port) { return }
      usleep(5_000)
    }
    self.stop()
    throw TestFailure("redis-server did not answer PING within 10 s: \(self.log())")
  }

  /// Kills the server (SIGKILL: no shutdown work to wait for) and reaps it.
  func stop() {
    guard let process, process.isRunning else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    self.process = nil
  }

  /// The end of the server's log file, for failure messages.
  func log() -> String {
    let text =
      (try? String(
        contentsOf: self.directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
    return String(text.suffix(1_000))
  }

  /// Whether a plain connection to `port` gets `+PONG` (or `-NOAUTH`: up, password needed).
  static func answersPing(port: Int) -> Bool {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { return false }
    defer { close(socketFD) }
    var address = Self.loopback(port: port)
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
  static func freePort() throws -> Int {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw TestFailure("socket() failed") }
    defer { close(socketFD) }
    var address = Self.loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(socketFD, $0, length) == 0 && getsockname(socketFD, $0, &length) == 0
      }
    }
    guard bound else { throw TestFailure("cannot bind a loopback port") }
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

/// Throw-away TLS material made with `openssl`: a CA, and a server certificate it signed for
/// `localhost` and `127.0.0.1`.
struct TestCertificates {
  let directory: URL
  var caCertificate: String { self.directory.appendingPathComponent("ca.crt").path }
  var serverCertificate: String { self.directory.appendingPathComponent("server.crt").path }
  var serverKey: String { self.directory.appendingPathComponent("server.key").path }
  /// A second, unrelated CA (to check that verification fails against it).
  var otherCACertificate: String { self.directory.appendingPathComponent("other.crt").path }

  init() throws {
    self.directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("celeriac-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
      to: self.directory.appendingPathComponent("san.cnf"), atomically: true, encoding: .utf8)
    let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    try self.openssl(
      ["req", "-x509"] + key + [
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Celeriac Test CA",
      ])
    try self.openssl(
      ["req", "-x509"] + key + [
        "-keyout", "other.key", "-out", "other.crt", "-days", "2", "-subj", "/CN=Other CA",
      ])
    try self.openssl(
      ["req"] + key + [
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost",
      ])
    try self.openssl([
      "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
      "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.cnf",
    ])
  }

  func remove() {
    try? FileManager.default.removeItem(at: self.directory)
  }

  private func openssl(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    process.arguments = arguments
    process.currentDirectoryURL = self.directory
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw TestFailure("openssl \(arguments.joined(separator: " ")) failed")
    }
  }
}

/// A test set-up failure with a message.
struct TestFailure: Error, CustomStringConvertible {
  let description: String

  init(_ description: String) {
    self.description = description
  }
}
