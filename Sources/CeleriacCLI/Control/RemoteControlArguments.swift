import ArgumentParser
import Celeriac

/// What a remote-control verb reads from the command line, as the request's `arguments`.
protocol RemoteControlArguments: ParsableArguments {
  /// The request's `arguments` object.
  var request: [String: JSONValue] { get }
}

/// The arguments of a verb that takes none.
struct NoRemoteControlArguments: RemoteControlArguments {
  var request: [String: JSONValue] { [:] }
}
