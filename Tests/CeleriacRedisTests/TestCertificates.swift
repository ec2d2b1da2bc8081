import CeleriacTestSupport
import Foundation

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
      throw TestSetupFailure("openssl \(arguments.joined(separator: " ")) failed")
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
