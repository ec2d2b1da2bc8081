import ArgumentParser
import Celeriac
import Foundation

/// The command line every Celeriac app binary gets: `worker`, `beat`, `send`, `result`,
/// `inspect`, `control`, `purge`, `revoke`, `dead-letters`, and the internal `_child`.
///
/// A user's `main.swift`:
/// ```swift
/// let app = CeleriacApp(name: "myapp")
/// app.register(Thumbnail())
/// CeleriacCommandLine.main(app: app)
/// ```
public enum CeleriacCommandLine {
  nonisolated(unsafe) static var currentApp: CeleriacApp?
  nonisolated(unsafe) static var extraCommands: [any ParsableCommand.Type] = []

  /// The app handed to ``main(app:commands:arguments:)``, for the app's own commands.
  public static var app: CeleriacApp {
    guard let app = currentApp else { fatalError("CeleriacCommandLine.main(app:) was not called") }
    return app
  }

  /// Parses the process's arguments (or `arguments`) and runs the chosen command; exits.
  /// `commands` adds the app's own subcommands beside Celeriac's.
  public static func main(
    app: CeleriacApp, commands: [any ParsableCommand.Type] = [], arguments: [String]? = nil
  ) -> Never {
    currentApp = app
    extraCommands = commands
    let arguments = arguments ?? Array(CommandLine.arguments.dropFirst())
    if arguments.first == ChildCommand.commandName {
      ChildCommand.run(app: app, arguments: Array(arguments.dropFirst()))
    }
    do {
      if arguments.first == WorkerCommand.configuration.commandName,
        let flags = WorkerArgumentScanner.scan(Array(arguments.dropFirst()))
      {
        try WorkerCommand.run(flags: flags, embeddedBeat: nil)
      } else {
        var command = try parse(arguments)
        try command.run()
      }
    } catch let failure as CommandFailure {
      fail(failure.description, code: failure.code)
    } catch let error as CeleriacError {
      fail(error.message, code: 1)
    } catch let error as BeatError {
      // A schedule that does not load is bad input (as a bad flag); an unknown name is not.
      fail(error.description, code: error.code == .unknownEntry ? 1 : 64)
    } catch let failure as TaskFailure {
      fail(failure.description, code: 1)
    } catch {
      RootCommand.exit(withError: error)
    }
    exit(0)
  }

  /// The command `arguments` name. The common `celeriac worker …` lines never get here:
  /// ``WorkerArgumentScanner`` reads them from the settings table. The rest of `worker …`
  /// (`-B` and its options) is parsed by `WorkerCommand` alone when that succeeds: parsing it
  /// as a subcommand of the whole tree cost ~45 million instructions (swift-argument-parser
  /// looks up the conformances of every option of every subcommand at run time), and
  /// `WorkerCommand` alone ~27 million, about 4 ms. What `WorkerCommand` refuses, `--help`
  /// included, goes through the whole tree, which words the message as usual.
  private static func parse(_ arguments: [String]) throws -> any ParsableCommand {
    if arguments.first == WorkerCommand.configuration.commandName,
      let worker = try? WorkerCommand.parse(Array(arguments.dropFirst()))
    {
      return worker
    }
    return try RootCommand.parseAsRoot(arguments)
  }

  private static func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("celeriac: \(message)\n".utf8))
    exit(code)
  }
}

/// The root command: only dispatches to subcommands.
struct RootCommand: ParsableCommand {
  static var configuration: CommandConfiguration {
    CommandConfiguration(
      commandName: "celeriac",
      abstract: "A distributed task queue for Swift: run workers, send tasks, read results.",
      subcommands: [
        WorkerCommand.self, SendCommand.self, ResultCommand.self, InspectCommand.self,
        ControlCommand.self, EventsCommand.self, PurgeCommand.self, RevokeCommand.self,
        DeadLettersCommand.self, BeatCommand.self, ChainCommand.self, GroupCommand.self,
        ChordCommand.self, SettingsCommand.self, DashboardCommand.self,
      ] + CeleriacCommandLine.extraCommands)
  }
}
