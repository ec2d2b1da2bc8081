import CeleriacCLI
import Foundation

// `celeriac-web-example serve [--port N] [--host H]` runs the web app; every other command
// (`worker`, `send`, `inspect`, the worker's own `_child`, …) is Celeriac's command line.
let settings = ExampleSettings()
try settings.createFolders()
let app = settings.makeApp()
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "serve" {
  do {
    let options = try ServeOptions(Array(arguments.dropFirst()))
    try await WebServer(app: app, settings: settings, options: options).run()
    exit(0)
  } catch let error as ServeOptions.Failure {
    FileHandle.standardError.write(Data("celeriac-web-example: \(error.message)\n".utf8))
    exit(64)
  }
}
CeleriacCommandLine.main(app: app)
