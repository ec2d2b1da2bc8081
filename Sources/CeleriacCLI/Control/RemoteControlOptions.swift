import ArgumentParser
import Celeriac

/// `--timeout`, `--destination` and `--json`, shared by every `inspect` and `control` verb.
struct RemoteControlOptions: ParsableArguments {
  /// How long to wait for replies by default, as `celery inspect` does.
  static let defaultTimeout = 1.0
  /// The longest wait accepted.
  static let maximumTimeout = 3_600.0
  /// The most workers one `--destination` may name.
  static let maximumDestinations = 1_000

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "Seconds to wait for replies (default 1, as Celery).")
  var timeout: Double = RemoteControlOptions.defaultTimeout

  @Option(
    name: [.customShort("d"), .customLong("destination")],
    help: "Comma-separated worker names to ask (default: every worker); waits only for them.")
  var destination: String?

  @Flag(help: "Print the replies as one JSON object, {worker: reply}.")
  var json = false

  /// The workers named, or `nil` when the flag was not given.
  var destinations: [String]? {
    destination.map {
      $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
        !$0.isEmpty
      }
    }
  }

  func validate() throws {
    let range = SecondsValue(minimum: 0, maximum: Self.maximumTimeout, excludesMinimum: true)
    if let problem = range.problem(with: timeout, name: "--timeout") {
      throw ValidationError(problem)
    }
    if let names = destinations {
      guard !names.isEmpty else { throw ValidationError("--destination names no worker") }
      guard names.count <= Self.maximumDestinations else {
        throw ValidationError("--destination names more than \(Self.maximumDestinations) workers")
      }
      if let long = names.first(where: { $0.utf8.count > ControlReply.maximumHostnameLength }) {
        throw ValidationError("--destination name too long: \(long.prefix(40))…")
      }
    }
  }
}
