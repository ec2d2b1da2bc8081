import ArgumentParser
import CeleriacCore

/// One tunable of `celeriac worker`, declared once.
///
/// Everything about a setting comes from its declaration in ``WorkerSettings``: the flag's
/// names and help (``names``, ``help``), the config-file key (``key``, the long flag name), the
/// environment variable (``environment``, where it has one), the check of a value from any of
/// them (``kind``), the rendered default (``defaultText``, from the named constant) and the
/// README row (``WorkerSettings/markdownTable()``). So the four cannot drift.
struct WorkerSetting: Sendable {
  /// What a value of the setting is: how it is read from text or JSON, and the rule it obeys.
  enum Kind: Sendable {
    /// A whole number within the range.
    case count(ClosedRange<Int>)
    /// A number of seconds within the range.
    case seconds(SecondsValue)
    /// A non-empty string.
    case text
    /// One of these words (compared in lower case).
    case choice([String])
    /// Comma-separated non-empty names (in a file: a string or an array of strings).
    case names
    /// A repeatable flag (in a file: a string or an array of strings).
    case repeated
    /// On or off (a flag without a value; in a file `true` / `false`).
    case flag
  }

  /// The long flag name, which is also the config-file key.
  let key: String
  /// The one-letter flag, if any (Celery's letters: `-c`, `-Q`, `-n`, `-l`, `-E`).
  let short: Character?
  /// The environment variable that sets it, if any.
  let environment: String?
  /// How a value is read and checked.
  let kind: Kind
  /// The placeholder of the value in the help (`N`, `S`, `url`, …).
  let valueName: String
  /// What the setting does, one sentence, for the help and the README.
  let summary: String
  /// The default as the help and the README show it; `nil` shows "off".
  let defaultText: String?
  /// Where the flag's value is found in the option groups ArgumentParser filled.
  let flag: @Sendable (WorkerOptionGroups) -> WorkerSettingInput?
  /// Stores a checked value in the resolved settings.
  let apply: @Sendable (WorkerSettingValue, inout ResolvedWorkerSettings) -> Void

  /// The flag as written on the command line: `--concurrency`.
  var flagName: String { "--" + key }

  /// The flag's names for ArgumentParser.
  var names: NameSpecification {
    var names: NameSpecification = [.customLong(key)]
    if let short { names = [.customShort(short), .customLong(key)] }
    return names
  }

  /// The flag's help: the summary, the default and the environment variable.
  var help: ArgumentHelp {
    var text = summary
    var notes: [String] = []
    if let defaultText { notes.append("default: " + defaultText.replacing("`", with: "")) }
    if let environment { notes.append("env \(environment)") }
    if !notes.isEmpty { text += " (" + notes.joined(separator: "; ") + ")" }
    if case .flag = kind { return ArgumentHelp(text) }
    return ArgumentHelp(text, valueName: valueName)
  }

  /// Reads and checks `input`, which came from `origin`; the error names the setting.
  func value(of input: WorkerSettingInput, from origin: WorkerSettingOrigin) throws
    -> WorkerSettingValue
  {
    let name = origin.describe(self)
    switch (kind, input) {
    case (.count(let range), _):
      guard let number = input.integer, range.contains(number) else {
        let bounds =
          range.upperBound == .max
          ? "of at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
        throw ValidationError("\(name) must be a whole number \(bounds), not \(input)")
      }
      return .count(number)
    case (.seconds(let range), _):
      guard let seconds = input.number else {
        throw ValidationError("\(name) must be a number of seconds, not \(input)")
      }
      if let problem = range.problem(with: seconds, name: name) { throw ValidationError(problem) }
      return .seconds(seconds)
    case (.text, _):
      guard let text = input.text, !text.isEmpty else {
        throw ValidationError("\(name) must be a non-empty string, not \(input)")
      }
      return .text(text)
    case (.choice(let words), _):
      guard let word = input.text?.lowercased(), words.contains(word) else {
        throw ValidationError(
          "\(name) must be one of \(words.joined(separator: ", ")), not \(input)")
      }
      return .text(word)
    case (.names, _):
      guard let items = input.texts else {
        throw ValidationError("\(name) must be a comma-separated list of names, not \(input)")
      }
      let names = items.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
        .map { $0.trimmingCharacters(in: .whitespaces) }
      guard !names.isEmpty, !names.contains("") else {
        throw ValidationError("\(name) has an empty name in \(input)")
      }
      return .list(names)
    case (.repeated, _):
      guard let items = input.texts else {
        throw ValidationError("\(name) must be a string or a list of strings, not \(input)")
      }
      return .list(items)
    case (.flag, _):
      guard let on = input.boolean else {
        throw ValidationError("\(name) must be true or false, not \(input)")
      }
      return .flag(on)
    }
  }
}

/// Where a setting's value came from, for the error that names it.
enum WorkerSettingOrigin: Sendable {
  /// The command line.
  case commandLine
  /// The setting's environment variable.
  case environment
  /// The `--config` file at this path.
  case file(String)

  /// The setting as the user wrote it here: `--concurrency`, `CELERIAC_CONCURRENCY`, or the
  /// config file's key.
  func describe(_ setting: WorkerSetting) -> String {
    switch self {
    case .commandLine: setting.flagName
    case .environment: setting.environment ?? setting.flagName
    case .file(let path): "config file \(path): '\(setting.key)'"
    }
  }
}

/// A setting's value as given, before it is checked: text from a flag or the environment, a
/// repeated flag's values, a switch, or a JSON value from the config file.
enum WorkerSettingInput: Sendable, Equatable, CustomStringConvertible {
  /// One flag value or an environment variable.
  case text(String)
  /// The values of a repeatable flag.
  case texts([String])
  /// A flag without a value, given.
  case given
  /// A config-file value.
  case json(JSONValue)

  var integer: Int? {
    switch self {
    case .text(let text): Int(text.trimmingCharacters(in: .whitespaces))
    case .json(let value): value.intValue.flatMap { Int(exactly: $0) }
    case .texts, .given: nil
    }
  }

  var number: Double? {
    switch self {
    case .text(let text): Double(text.trimmingCharacters(in: .whitespaces))
    case .json(let value): value.doubleValue
    case .texts, .given: nil
    }
  }

  var text: String? {
    switch self {
    case .text(let text): text.trimmingCharacters(in: .whitespaces)
    case .json(let value): value.stringValue?.trimmingCharacters(in: .whitespaces)
    case .texts, .given: nil
    }
  }

  var texts: [String]? {
    switch self {
    case .text(let text): [text]
    case .texts(let texts): texts
    case .json(.string(let text)): [text]
    case .json(.array(let items)):
      items.allSatisfy { $0.stringValue != nil } ? items.compactMap(\.stringValue) : nil
    case .json, .given: nil
    }
  }

  var boolean: Bool? {
    switch self {
    case .given: true
    case .json(.bool(let on)): on
    case .text(let text):
      switch text.lowercased() {
      case "1", "true", "yes", "on": true
      case "0", "false", "no", "off": false
      default: nil
      }
    case .json, .texts: nil
    }
  }

  var description: String {
    switch self {
    case .text(let text): "'\(text.prefix(80))'"
    case .texts(let texts): "'\(texts.joined(separator: " ").prefix(80))'"
    case .given: "a flag"
    case .json(.string(let text)): "'\(text.prefix(80))'"
    case .json(let value): String(value.compactDescription.prefix(80))
    }
  }
}

/// A checked setting value.
enum WorkerSettingValue: Sendable, Equatable {
  /// From ``WorkerSetting/Kind/count(_:)``.
  case count(Int)
  /// From ``WorkerSetting/Kind/seconds(_:)``.
  case seconds(Double)
  /// From ``WorkerSetting/Kind/text`` and ``WorkerSetting/Kind/choice(_:)``.
  case text(String)
  /// From ``WorkerSetting/Kind/names`` and ``WorkerSetting/Kind/repeated``.
  case list([String])
  /// From ``WorkerSetting/Kind/flag``.
  case flag(Bool)

  var count: Int {
    if case .count(let value) = self { return value }
    preconditionFailure("not a count: \(self)")
  }

  var seconds: Double {
    if case .seconds(let value) = self { return value }
    preconditionFailure("not seconds: \(self)")
  }

  var duration: Duration { .seconds(fractional: seconds) }

  var text: String {
    if case .text(let value) = self { return value }
    preconditionFailure("not text: \(self)")
  }

  var list: [String] {
    if case .list(let value) = self { return value }
    preconditionFailure("not a list: \(self)")
  }

  var flag: Bool {
    if case .flag(let value) = self { return value }
    preconditionFailure("not a flag: \(self)")
  }
}
