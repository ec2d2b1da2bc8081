/// What `celeriac worker`'s command line gave: each setting's value as written, by
/// ``WorkerSetting/key``, and the `--config` file named.
///
/// Two readers make one: ``init(_:)`` from the option groups ArgumentParser filled, and
/// ``WorkerArgumentScanner`` from the arguments themselves, for the common command lines, at a
/// small fraction of the parser's start-up cost. ``WorkerSettings/resolve(flags:environment:file:)``
/// takes it from either.
struct WorkerFlags: Sendable, Equatable {
  /// The value of each setting given on the command line, by key; absent when not given.
  var inputs: [String: WorkerSettingInput] = [:]
  /// `--config`: the JSON file of settings, if given.
  var config: String?

  /// Nothing given: every setting comes from the config file, the environment or its default.
  init() {}

  /// The flags in the option groups ArgumentParser filled (each setting's
  /// ``WorkerSetting/flag`` says where its value is).
  init(_ groups: WorkerOptionGroups) {
    for setting in WorkerSettings.all {
      if let input = setting.flag(groups) { inputs[setting.key] = input }
    }
    config = groups.worker.config
  }
}

/// The option groups of `celeriac worker` as ArgumentParser parsed them, where
/// ``WorkerSetting/flag`` finds a setting's value.
struct WorkerOptionGroups: Sendable {
  /// The supervisor's tuning flags.
  var worker = WorkerOptions()
  /// `--broker`, `--backend`.
  var connection = ConnectionOptions()
  /// `-l`, `--log-format`.
  var logging = LoggingOptions()
  /// `--metrics-port`, `--metrics-address`.
  var metrics = MetricsOptions()
}
