import ArgumentParser
import Foundation
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// `celeriac dashboard …`: runs `celeriac-dashboard` (the web dashboard, a package of its own
/// so that the core build does not carry a web server), git-style: the executable beside this
/// one first, then the first on `PATH`; every argument is handed on unchanged.
struct DashboardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dashboard",
    abstract: "The web dashboard (runs celeriac-dashboard; see celeriac dashboard --help).")

  /// The executable's name.
  static let executableName = "celeriac-dashboard"

  @Argument(parsing: .captureForPassthrough, help: "Arguments for celeriac-dashboard.")
  var arguments: [String] = []

  /// Where `celeriac-dashboard` is: beside `self` (resolved through `/proc/self/exe`), else on
  /// `PATH`; `nil` when it is in neither.
  static func locate(
    executable: String? = Bundle.main.executablePath,
    path: String? = ProcessInfo.processInfo.environment["PATH"]
  ) -> String? {
    var candidates: [String] = []
    let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
    for base in [own, executable].compactMap({ $0 }) {
      candidates.append(
        URL(fileURLWithPath: base).deletingLastPathComponent().appendingPathComponent(
          executableName
        ).path)
    }
    for directory in (path ?? "").split(separator: ":") where !directory.isEmpty {
      candidates.append("\(directory)/\(executableName)")
    }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  func run() throws {
    guard let found = Self.locate() else {
      throw CommandFailure(
        "\(Self.executableName) is not built: build it with `swift build --package-path Integrations/CeleriacDashboard` and put it beside this executable or on PATH",
        code: 69)
    }
    let argv = [found] + arguments
    var pointers = argv.map { strdup($0) } + [nil]
    execv(found, &pointers)
    let reason = Errno(rawValue: errno)
    throw CommandFailure("cannot run \(found): \(reason)", code: 69)
  }
}
