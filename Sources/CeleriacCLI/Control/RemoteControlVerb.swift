import ArgumentParser
import Celeriac

/// One `inspect` or `control` verb: its name and help on the command line, the remote-control
/// method it sends, and how a worker's reply is printed.
struct RemoteControlVerb: Sendable {
  /// How a worker's reply is printed for people.
  enum Layout: Sendable {
    /// Indented JSON (``RemoteControlCall/describeJSON(_:)``).
    case json
    /// One line a task (``RemoteControlCall/describeTasks(_:)``).
    case tasks
    /// One line a name (``RemoteControlCall/describeNames(_:)``).
    case names
    /// One line a queue (``RemoteControlCall/describeQueues(_:)``).
    case queues

    /// The function that formats a reply in this layout.
    var describe: (JSONValue) -> [String] {
      switch self {
      case .json: RemoteControlCall.describeJSON
      case .tasks: RemoteControlCall.describeTasks
      case .names: RemoteControlCall.describeNames
      case .queues: RemoteControlCall.describeQueues
      }
    }
  }

  /// The command's name, e.g. `active-queues`.
  var name: String
  /// The method sent to the workers, e.g. `active_queues`; by default the name.
  var method: String
  /// The one-line help.
  var abstract: String
  /// Other names of the command (Celery's spelling with `_`).
  var aliases: [String]
  /// How replies are printed.
  var layout: Layout

  /// A verb; the method defaults to the name with `-` spelled `_`, and is also an alias when
  /// that differs from the name.
  init(_ name: String, _ abstract: String, layout: Layout = .json) {
    self.name = name
    self.method = name.replacingOccurrences(of: "-", with: "_")
    self.abstract = abstract
    self.aliases = method == name ? [] : [method]
    self.layout = layout
  }

  /// The command's configuration for ArgumentParser.
  var configuration: CommandConfiguration {
    CommandConfiguration(commandName: name, abstract: abstract, aliases: aliases)
  }
}
