/// Reads the common `celeriac worker` command lines straight from the settings table, without
/// swift-argument-parser.
///
/// The parser builds its model of a command by reflection on every start: about 27 million
/// instructions, some 4 ms of every worker's start, before the first child is spawned. Every
/// worker setting is declared once in ``WorkerSettings`` with its names and kind, which is all
/// it takes to read `--name value`, `--name=value`, `-c value`, flags and repeated options.
///
/// The scanner only reads what it is sure of and answers `nil` for anything else: an unknown
/// name (`--help`, the `-B` beat options), a value that starts with `-`, grouped or attached
/// short options (`-Ec`, `-c2`), an empty value after `=`, a positional argument, `--`, a value
/// given twice to a setting that takes one, or a flag given a value. Those go to the parser,
/// which accepts them or words the error as usual. `WorkerArgumentScannerTests` checks that
/// on whatever the scanner accepts, the parser agrees, value for value.
enum WorkerArgumentScanner {
  /// The `--config` option, which names a file rather than a setting.
  static let configName = "--config"

  /// Every setting by each of its names as written: `--concurrency`, `-c`.
  private static let settingsByName: [String: WorkerSetting] = {
    var byName: [String: WorkerSetting] = [:]
    for setting in WorkerSettings.all {
      byName[setting.flagName] = setting
      if let short = setting.short { byName["-\(short)"] = setting }
    }
    return byName
  }()

  /// The flags in `arguments` (those after `worker`), or `nil` when the parser must read them.
  static func scan(_ arguments: [String]) -> WorkerFlags? {
    var flags = WorkerFlags()
    var remaining = arguments[...]
    while let argument = remaining.popFirst() {
      guard let (name, attached) = split(argument) else { return nil }
      if name == configName {
        guard flags.config == nil, let value = attached ?? takeValue(from: &remaining) else {
          return nil
        }
        flags.config = value
        continue
      }
      guard let setting = settingsByName[name] else { return nil }
      let previous = flags.inputs[setting.key]
      switch setting.kind {
      case .flag:
        guard attached == nil, previous == nil else { return nil }
        flags.inputs[setting.key] = .given
      case .repeated:
        guard let value = attached ?? takeValue(from: &remaining) else { return nil }
        var values: [String] = []
        if case .texts(let earlier)? = previous { values = earlier }
        flags.inputs[setting.key] = .texts(values + [value])
      case .count, .seconds, .text, .choice, .names:
        guard previous == nil, let value = attached ?? takeValue(from: &remaining) else {
          return nil
        }
        flags.inputs[setting.key] = .text(value)
      }
    }
    return flags
  }

  /// The option's name and the value written after `=` (long options only), or `nil` for an
  /// argument that is not a lone long or one-letter option.
  private static func split(_ argument: String) -> (name: String, attached: String?)? {
    if argument.hasPrefix("--") {
      guard argument.count > 2 else { return nil }  // `--`: the end of options
      guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
      let value = argument[argument.index(after: equals)...]
      guard !value.isEmpty else { return nil }  // `--queues=`: the parser refuses it
      return (String(argument[..<equals]), String(value))
    }
    guard argument.count == 2, argument.first == "-", argument.last != "-" else { return nil }
    return (argument, nil)
  }

  /// The next argument as an option's value; `nil` when there is none or it looks like an
  /// option (the parser decides those).
  private static func takeValue(from remaining: inout ArraySlice<String>) -> String? {
    guard let value = remaining.first, !value.hasPrefix("-") else { return nil }
    remaining.removeFirst()
    return value
  }
}
