import CeleriacTestSupport
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Flower (PyPI `flower`, in the venv) on a private port against a sandbox's Redis, run as an
/// operator runs it: `celery -A celery_tasks flower --port=P --address=127.0.0.1`.
final class FlowerProcess {
  let process = Process()
  let logPath: String
  let port: Int

  init(sandbox: RedisSandbox) async throws {
    try PythonVenv.require()
    port = try RedisTestServer.freePort()
    logPath = sandbox.directory + "/flower.log"
    FileManager.default.createFile(atPath: logPath, contents: nil)
    process.executableURL = URL(fileURLWithPath: PythonVenv.celery)
    process.arguments = [
      "-A", "celery_tasks", "flower", "--port=\(port)", "--address=127.0.0.1",
    ]
    process.currentDirectoryURL = URL(fileURLWithPath: PythonVenv.interop)
    process.environment = ProcessInfo.processInfo.environment.merging([
      "CELERIAC_INTEROP_BROKER": sandbox.brokerURL,
      "CELERIAC_INTEROP_BACKEND": sandbox.backendURL, "PYTHONDONTWRITEBYTECODE": "1",
      // Flower 2 serves its API only with authentication or this.
      "FLOWER_UNAUTHENTICATED_API": "true",
    ]) { $1 }
    let log = FileHandle(forWritingAtPath: logPath)!
    process.standardOutput = log
    process.standardError = log
    try process.run()
    let up = try await waitUntil(timeout: .seconds(30)) {
      (try? self.get("/healthcheck")) == "OK" || !self.process.isRunning
    }
    guard up, process.isRunning else {
      throw IntegrationFailure("Flower did not start:\n\(log)")
    }
  }

  deinit {
    if process.isRunning {
      terminate(process, grace: 10)
    }
  }

  var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

  /// The body of `GET path` (curl, as an operator would), or `nil` when it did not answer 2xx.
  func get(_ path: String) throws -> String? {
    let result = try runProcess(
      "/usr/bin/curl", ["-sf", "--max-time", "10", "http://127.0.0.1:\(port)\(path)"],
      directory: NSTemporaryDirectory())
    return result.status == 0 ? result.stdout : nil
  }
}
