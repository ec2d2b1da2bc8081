import ArgumentParser
import Celeriac

/// Names one ``RemoteControlVerb``, for ``RemoteControlVerbCommand``.
protocol RemoteControlVerbSpec {
  /// The verb.
  static var verb: RemoteControlVerb { get }
}

/// The command of one `inspect` or `control` verb: the shared ``RemoteControlOptions``, the
/// verb's own `Arguments`, and one ``RemoteControlCall``.
struct RemoteControlVerbCommand<Spec: RemoteControlVerbSpec, Arguments: RemoteControlArguments>:
  ParsableCommand
{
  static var configuration: CommandConfiguration { Spec.verb.configuration }

  @OptionGroup var options: RemoteControlOptions
  @OptionGroup var arguments: Arguments

  func run() throws {
    try RemoteControlCall(
      method: Spec.verb.method, arguments: arguments.request, describe: Spec.verb.layout.describe
    ).run(options)
  }
}
