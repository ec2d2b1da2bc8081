import ArgumentParser

/// `celeriac settings`: every worker setting with its flag, environment variable, config-file
/// key and default, from the declarations in ``WorkerSettings``.
struct SettingsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "settings",
    abstract: "List the worker's settings: flag, environment variable, config-file key, default.")

  @Flag(help: "Print the README's Markdown table instead.")
  var markdown = false

  func run() {
    print(markdown ? WorkerSettings.markdownTable() : WorkerSettings.textListing(), terminator: "")
  }
}

extension WorkerSettings {
  /// The README table of worker settings, one row per setting.
  static func markdownTable() -> String {
    var lines = [
      "| flag | config key | environment | default | meaning |", "|---|---|---|---|---|",
    ]
    for setting in all {
      var flag = setting.flagName
      if let short = setting.short { flag = "-\(short), " + flag }
      if case .flag = setting.kind {} else { flag += " \(setting.valueName)" }
      let environment = setting.environment.map { "`\($0)`" } ?? ""
      let meaning = setting.summary.replacing("|", with: "\\|")
      lines.append(
        "| `\(flag)` | `\(setting.key)` | \(environment) | \(setting.defaultText ?? "off") | \(meaning) |"
      )
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// A plain listing for the terminal.
  static func textListing() -> String {
    var text = ""
    for setting in all {
      text += setting.flagName
      if let short = setting.short { text += " (-\(short))" }
      text += "\n  \(setting.summary)\n"
      text += "  config key: \(setting.key)"
      if let environment = setting.environment { text += "; env: \(environment)" }
      text += "; default: " + (setting.defaultText?.replacing("`", with: "") ?? "off") + "\n"
    }
    return text
  }
}
