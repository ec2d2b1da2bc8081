import Foundation

/// A real `celeriac worker` (this repository's binary: `CELERIAC_BINARY`, or the root
/// package's debug build) on one broker, stopped with SIGTERM.
final class WorkerProcess {
  private let process = Process()

  /// Starts a worker with one child on `brokerURL`, logging to `logPath`.
  init(brokerURL: String, logPath: String) throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../../..").standardized.path
    let binary =
      ProcessInfo.processInfo.environment["CELERIAC_BINARY"] ?? root + "/.build/debug/celeriac"
    guard FileManager.default.isExecutableFile(atPath: binary) else {
      throw CocoaError(
        .fileNoSuchFile,
        userInfo: [
          NSLocalizedDescriptionKey: "no celeriac binary at \(binary): build the root package"
        ])
    }
    FileManager.default.createFile(atPath: logPath, contents: nil)
    let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["worker", "--broker", brokerURL, "--concurrency", "1"]
    process.standardOutput = log
    process.standardError = log
    try process.run()
  }

  /// Sends SIGTERM and waits for the worker to exit.
  func stop() {
    guard process.isRunning else { return }
    process.terminate()
    process.waitUntilExit()
  }
}
