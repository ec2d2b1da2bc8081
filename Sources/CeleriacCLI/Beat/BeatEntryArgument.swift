import ArgumentParser
import Celeriac

/// The connection flags and the `NAME` of the `beat` commands that act on one entry.
struct BeatEntryArgument: ParsableArguments {
  @OptionGroup var connection: ConnectionOptions
  @Argument(help: "The entry's name.") var name: String

  /// Applies the flags to the app and opens beat's store in its broker.
  func store() throws -> any BeatStore {
    try connection.connectBeatStore(CeleriacCommandLine.app)
  }
}
