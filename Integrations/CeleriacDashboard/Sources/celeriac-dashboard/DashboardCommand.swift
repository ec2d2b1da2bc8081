import ArgumentParser
import Celeriac
import CeleriacDashboard
import Foundation

/// `celeriac-dashboard` (also `celeriac dashboard`): serves the web dashboard.
@main
struct DashboardCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "celeriac-dashboard",
    abstract: "The Celeriac web dashboard: live charts, workers, tasks, dead letters.")

  @Option(help: "Address to listen on (default 127.0.0.1; any other needs --user or --token).")
  var host = DashboardConfiguration.defaultHost
  @Option(help: "Port to listen on (default 5555; 0: any free port).")
  var port = DashboardConfiguration.defaultPort
  @Option(
    help: ArgumentHelp(
      "Broker URL, as for the other commands (env CELERIAC_BROKER_URL; default sqlite://celeriac.db).",
      valueName: "url"))
  var broker: String?
  @Option(
    help: ArgumentHelp(
      "Result backend URL (env CELERIAC_RESULT_BACKEND; default: the broker's).",
      valueName: "url"))
  var backend: String?
  @Option(help: "Basic-auth user (with --password or CELERIAC_DASHBOARD_PASSWORD).")
  var user: String?
  @Option(help: "Basic-auth password (better: CELERIAC_DASHBOARD_PASSWORD).")
  var password: String?
  @Option(help: "Bearer token (better: CELERIAC_DASHBOARD_TOKEN).")
  var token: String?

  func run() async throws {
    let environment = ProcessInfo.processInfo.environment
    let authentication: DashboardAuthentication
    if let token = token ?? environment["CELERIAC_DASHBOARD_TOKEN"], !token.isEmpty {
      authentication = .token(token)
    } else if let user {
      guard let password = password ?? environment["CELERIAC_DASHBOARD_PASSWORD"] else {
        throw ValidationError("--user needs --password or CELERIAC_DASHBOARD_PASSWORD")
      }
      authentication = .basic(user: user, password: password)
    } else {
      authentication = .none
    }
    var celeriac = CeleriacConfiguration.fromEnvironment()
    if let broker {
      // As the other commands: the backend follows --broker unless it was set on its own.
      if backend == nil && celeriac.backendURL == celeriac.brokerURL {
        celeriac.backendURL = broker
      }
      celeriac.brokerURL = broker
    }
    if let backend { celeriac.backendURL = backend }
    let configuration = DashboardConfiguration(
      host: host, port: port, authentication: authentication, brokerURL: celeriac.brokerURL,
      backendURL: celeriac.backendURL)
    do {
      let app = CeleriacApp(configuration: celeriac)
      let server = try DashboardServer(
        configuration: configuration, connection: try app.connection())
      let host = self.host
      try await server.application { port in
        let line = "celeriac-dashboard: serving on http://\(host):\(port)/\n"
        FileHandle.standardOutput.write(Data(line.utf8))
      }.runService()
    } catch let error as DashboardError {
      FileHandle.standardError.write(Data("celeriac-dashboard: \(error.message)\n".utf8))
      throw ExitCode(
        error.code == .insecureBinding || error.code == .invalidConfiguration ? 64 : 1)
    } catch let error as CeleriacError {
      FileHandle.standardError.write(Data("celeriac-dashboard: \(error.message)\n".utf8))
      throw ExitCode(1)
    }
  }
}
