import Celeriac
import Foundation

/// Where the example keeps its files and its broker, shared by the web app and its worker
/// (both are this binary, started with the same environment).
struct ExampleSettings: Sendable {
  /// The environment variable naming the data folder.
  static let dataVariable = "CELERIAC_EXAMPLE_DATA"
  /// The data folder when the variable is unset, relative to the working directory.
  static let defaultDataFolder = "example-data"

  /// The data folder (absolute).
  let dataFolder: String

  /// Reads the environment.
  init(environment: [String: String] = ProcessInfo.processInfo.environment) {
    let folder = environment[Self.dataVariable] ?? Self.defaultDataFolder
    dataFolder =
      folder.hasPrefix("/")
      ? folder : FileManager.default.currentDirectoryPath + "/" + folder
  }

  /// Uploaded images.
  var uploads: String { dataFolder + "/uploads" }
  /// Thumbnails and reports, served under `/files/`.
  var outputs: String { dataFolder + "/outputs" }

  /// The embedded SQLite broker in the data folder, unless `CELERIAC_BROKER_URL` names another.
  var configuration: CeleriacConfiguration {
    var configuration = CeleriacConfiguration.fromEnvironment()
    if ProcessInfo.processInfo.environment["CELERIAC_BROKER_URL"] == nil {
      configuration.brokerURL = "sqlite://\(dataFolder)/celeriac.db"
      configuration.backendURL = configuration.brokerURL
    }
    return configuration
  }

  /// Creates the folders.
  func createFolders() throws {
    for folder in [uploads, outputs] {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
  }

  /// The app with the example's tasks registered.
  func makeApp() -> CeleriacApp {
    let app = CeleriacApp(name: "celeriac-web-example", configuration: configuration)
    app.register(ThumbnailTask())
    app.register(ReportTask())
    app.register(FactorTask())
    app.register(CountFilesTask())
    return app
  }
}
