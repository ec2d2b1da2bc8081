import CeleriacCore

/// Short forms of the common declarations: a setting whose flag is a text option of
/// ``WorkerOptionGroups`` and whose checked value is stored at a key path of
/// ``ResolvedWorkerSettings``.
extension WorkerSetting {
  /// The flag's text value at `flag`, for ``WorkerSetting/flag``.
  private static func text(at flag: KeyPath<WorkerOptionGroups, String?> & Sendable)
    -> @Sendable (WorkerOptionGroups) -> WorkerSettingInput?
  {
    { $0[keyPath: flag].map(WorkerSettingInput.text) }
  }

  /// A number of seconds in `range`, stored as a `Duration`, with a default.
  static func duration(
    _ key: String, _ range: SecondsValue = .positive, default value: Duration, summary: String,
    flag: KeyPath<WorkerOptionGroups, String?> & Sendable,
    into target: WritableKeyPath<ResolvedWorkerSettings, Duration> & Sendable
  ) -> WorkerSetting {
    WorkerSetting(
      key: key, short: nil, environment: nil, kind: .seconds(range), valueName: "S",
      summary: summary, defaultText: SettingText.seconds(value), flag: text(at: flag),
      apply: { checked, settings in settings[keyPath: target] = checked.duration })
  }

  /// A positive number of seconds, off unless given, stored as `Double?`.
  static func limit(
    _ key: String, summary: String, flag: KeyPath<WorkerOptionGroups, String?> & Sendable,
    into target: WritableKeyPath<ResolvedWorkerSettings, Double?> & Sendable
  ) -> WorkerSetting {
    WorkerSetting(
      key: key, short: nil, environment: nil, kind: .seconds(.positive), valueName: "S",
      summary: summary, defaultText: nil, flag: text(at: flag),
      apply: { checked, settings in settings[keyPath: target] = checked.seconds })
  }

  /// A whole number in `range`, with a default.
  static func count(
    _ key: String, _ range: ClosedRange<Int>, default value: Int, short: Character? = nil,
    environment: String? = nil, summary: String,
    flag: KeyPath<WorkerOptionGroups, String?> & Sendable,
    into target: WritableKeyPath<ResolvedWorkerSettings, Int> & Sendable
  ) -> WorkerSetting {
    WorkerSetting(
      key: key, short: short, environment: environment, kind: .count(range), valueName: "N",
      summary: summary, defaultText: "\(value)", flag: text(at: flag),
      apply: { checked, settings in settings[keyPath: target] = checked.count })
  }

  /// A whole number in `range`, off unless given.
  static func count(
    _ key: String, _ range: ClosedRange<Int>, valueName: String = "N", summary: String,
    flag: KeyPath<WorkerOptionGroups, String?> & Sendable,
    into target: WritableKeyPath<ResolvedWorkerSettings, Int?> & Sendable
  ) -> WorkerSetting {
    WorkerSetting(
      key: key, short: nil, environment: nil, kind: .count(range), valueName: valueName,
      summary: summary, defaultText: nil, flag: text(at: flag),
      apply: { checked, settings in settings[keyPath: target] = checked.count })
  }
}
