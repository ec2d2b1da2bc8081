import Celeriac
import Foundation
import Logging
import Synchronization

/// `--log-format json`: one JSON object a line on standard error, for log shippers.
///
/// Each line has `time` (ISO 8601), `level`, `logger` (the label), `message`, `process` (this
/// process's pid) and the metadata of the event: the supervisor adds `task_id`, `task_name`,
/// `pool` and `pid` (the child's) to what it logs about a task.
struct JSONLogHandler: LogHandler {
  /// Serializes lines from different threads (the supervisor loop, embedded beat).
  private static let output = Mutex(())

  /// The handler's own metadata (``Logger/subscript(metadataKey:)``).
  var metadata: Logger.Metadata = [:]
  /// Metadata added to every event, if any.
  var metadataProvider: Logger.MetadataProvider?
  /// The least severe level written.
  var logLevel: Logger.Level = .info

  private let label: String

  /// A handler writing events of `label` at `logLevel` and above.
  init(label: String, logLevel: Logger.Level) {
    self.label = label
    self.logLevel = logLevel
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    var merged = metadata
    if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
    if let extra = event.metadata { merged.merge(extra) { _, new in new } }
    var fields: [String: JSONValue] = [:]
    for (key, value) in merged { fields[key] = Self.json(value) }
    fields["time"] = .string(ISO8601.format(Date()))
    fields["level"] = .string(event.level.rawValue)
    fields["logger"] = .string(label)
    fields["message"] = .string(event.message.description)
    fields["process"] = .int(Int64(getpid()))
    guard let line = try? JSONCoding.encodeString(JSONValue.object(fields)) else { return }
    Self.output.withLock { _ in
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
  }

  /// A metadata value as JSON: integers stay numbers.
  static func json(_ value: Logger.Metadata.Value) -> JSONValue {
    switch value {
    case .string(let text): return .string(text)
    case .stringConvertible(let convertible):
      if let number = convertible as? any BinaryInteger, let exact = Int64(exactly: number) {
        return .int(exact)
      }
      return .string(convertible.description)
    case .array(let values): return .array(values.map(json))
    case .dictionary(let entries): return .object(entries.mapValues(json))
    }
  }
}

/// `--log-format text` (the default): swift-log's stream lines as before; event metadata
/// (task ids and pids, meant for ``JSONLogHandler``) is left out, since the messages say it.
struct TextLogHandler: LogHandler {
  /// Ignored on output, kept so that ``Logger/subscript(metadataKey:)`` round-trips.
  var metadata: Logger.Metadata = [:]
  /// Ignored on output like ``metadata`` (the supervisor provides its current task's ids
  /// through it), so it is never asked.
  var metadataProvider: Logger.MetadataProvider?
  private var stream: StreamLogHandler

  /// A handler writing events of `label` at `logLevel` and above.
  init(label: String, logLevel: Logger.Level) {
    stream = StreamLogHandler.standardError(label: label)
    stream.logLevel = logLevel
  }

  var logLevel: Logger.Level {
    get { stream.logLevel }
    set { stream.logLevel = newValue }
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    var plain = event
    plain.metadata = nil
    stream.log(event: plain)
  }
}
