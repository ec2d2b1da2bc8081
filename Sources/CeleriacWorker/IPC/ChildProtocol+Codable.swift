import CeleriacCore

// The wire form of the supervisor ↔ child lines, written out rather than left to the
// compiler's synthesized enum coding: every line is one object whose `type` names the case,
// with the case's fields beside it (`{"type":"finished","tag":"…","outcome":{…},"rssKiB":…}`).
// The fast paths in `LineDecodable.swift` and `SupervisorCommand.runLine` write and read the
// same form; `LineDecodableTests` holds them to these conformances.

/// The keys of the IPC objects (one set for all of them: each case uses a few).
enum IPCKey: String, CodingKey {
  case type, tag, message, softTimeLimit, pid, state, meta, outcome, rssKiB, value, failure
  case countdown, reason
}

/// A `type` value the decoder does not know.
private func unknownType(_ type: String, in container: KeyedDecodingContainer<IPCKey>)
  -> DecodingError
{
  .dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown type '\(type)'")
}

extension SupervisorCommand {
  /// The `type` of each case.
  enum Kind: String {
    case run, shutdown
  }

  /// Reads the object's `type` and the fields of that case; an unknown `type` is an error.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: IPCKey.self)
    let type = try container.decode(String.self, forKey: .type)
    switch Kind(rawValue: type) {
    case .run:
      self = .run(
        RunRequest(
          tag: try container.decode(String.self, forKey: .tag),
          message: try container.decode(TaskMessage.self, forKey: .message),
          softTimeLimit: try container.decodeIfPresent(Double.self, forKey: .softTimeLimit)))
    case .shutdown:
      self = .shutdown
    case nil:
      throw unknownType(type, in: container)
    }
  }

  /// Writes the case's `type` and its fields.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: IPCKey.self)
    switch self {
    case .run(let request):
      try container.encode(Kind.run.rawValue, forKey: .type)
      try container.encode(request.tag, forKey: .tag)
      try container.encodeIfPresent(request.softTimeLimit, forKey: .softTimeLimit)
      try container.encode(request.message, forKey: .message)
    case .shutdown:
      try container.encode(Kind.shutdown.rawValue, forKey: .type)
    }
  }
}

extension ChildEvent {
  /// The `type` of each case.
  enum Kind: String {
    case ready, heartbeat, progress, finished
  }

  /// Reads the object's `type` and the fields of that case; an unknown `type` is an error.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: IPCKey.self)
    let type = try container.decode(String.self, forKey: .type)
    switch Kind(rawValue: type) {
    case .ready:
      self = .ready(pid: try container.decode(Int32.self, forKey: .pid))
    case .heartbeat:
      self = .heartbeat
    case .progress:
      self = .progress(
        tag: try container.decode(String.self, forKey: .tag),
        state: try container.decode(TaskState.self, forKey: .state),
        meta: try container.decode(JSONValue.self, forKey: .meta))
    case .finished:
      self = .finished(
        tag: try container.decode(String.self, forKey: .tag),
        outcome: try container.decode(TaskOutcome.self, forKey: .outcome),
        rssKiB: try container.decode(Int.self, forKey: .rssKiB))
    case nil:
      throw unknownType(type, in: container)
    }
  }

  /// Writes the case's `type` and its fields.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: IPCKey.self)
    switch self {
    case .ready(let pid):
      try container.encode(Kind.ready.rawValue, forKey: .type)
      try container.encode(pid, forKey: .pid)
    case .heartbeat:
      try container.encode(Kind.heartbeat.rawValue, forKey: .type)
    case .progress(let tag, let state, let meta):
      try container.encode(Kind.progress.rawValue, forKey: .type)
      try container.encode(tag, forKey: .tag)
      try container.encode(state, forKey: .state)
      try container.encode(meta, forKey: .meta)
    case .finished(let tag, let outcome, let rssKiB):
      try container.encode(Kind.finished.rawValue, forKey: .type)
      try container.encode(tag, forKey: .tag)
      try container.encode(outcome, forKey: .outcome)
      try container.encode(rssKiB, forKey: .rssKiB)
    }
  }
}

extension TaskOutcome {
  /// The `type` of each case.
  enum Kind: String {
    case success, failure, retry
  }

  /// Reads the object's `type` and the fields of that case; an unknown `type` is an error.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: IPCKey.self)
    let type = try container.decode(String.self, forKey: .type)
    switch Kind(rawValue: type) {
    case .success:
      // A missing `value` is JSON null (a task that returned nothing).
      self = .success(try container.decodeIfPresent(JSONValue.self, forKey: .value) ?? .null)
    case .failure:
      self = .failure(try container.decode(TaskFailure.self, forKey: .failure))
    case .retry:
      self = .retry(
        countdown: try container.decodeIfPresent(Double.self, forKey: .countdown),
        reason: try container.decode(String.self, forKey: .reason))
    case nil:
      throw unknownType(type, in: container)
    }
  }

  /// Writes the case's `type` and its fields.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: IPCKey.self)
    switch self {
    case .success(let value):
      try container.encode(Kind.success.rawValue, forKey: .type)
      try container.encode(value, forKey: .value)
    case .failure(let failure):
      try container.encode(Kind.failure.rawValue, forKey: .type)
      try container.encode(failure, forKey: .failure)
    case .retry(let countdown, let reason):
      try container.encode(Kind.retry.rawValue, forKey: .type)
      try container.encodeIfPresent(countdown, forKey: .countdown)
      try container.encode(reason, forKey: .reason)
    }
  }
}
