import CeleriacCore

/// What the supervisor tells a child over its socket (one JSON object per line; the wire form
/// is in `ChildProtocol+Codable.swift`).
public enum SupervisorCommand: Codable, Sendable, Equatable {
  /// Run this task now; the child is idle, so it starts at once.
  case run(RunRequest)
  /// Finish (the child is idle when told) and exit with status 0.
  case shutdown
}

/// One task handed to a child.
public struct RunRequest: Codable, Sendable, Equatable {
  /// The broker's delivery tag; echoed back in the child's events.
  public var tag: String
  /// The task.
  public var message: TaskMessage
  /// Cancel the task cooperatively after this many seconds.
  public var softTimeLimit: Double?

  /// Creates a request.
  public init(tag: String, message: TaskMessage, softTimeLimit: Double?) {
    self.tag = tag
    self.message = message
    self.softTimeLimit = softTimeLimit
  }
}

extension SupervisorCommand {
  /// The JSON line of `.run(request)` built around `messageJSON` (the request's message as
  /// ``TaskMessage`` JSON, e.g. straight from the broker) without encoding the message again.
  /// It decodes exactly as the `Codable` encoding of the same command does.
  public static func runLine(tag: String, messageJSON: String, softTimeLimit: Double?) throws
    -> [UInt8]
  {
    runLine(tag: tag, softTimeLimit: softTimeLimit, capacity: messageJSON.utf8.count + 96) {
      $0.appendRaw(contentsOf: messageJSON)
    }
  }

  /// The JSON line of `.run(request)`, the message written into it member by member
  /// (``TaskMessage/write(into:)``): no intermediate text of the message. It decodes exactly
  /// as the `Codable` encoding of the same command does.
  public static func runLine(_ request: RunRequest) -> [UInt8] {
    runLine(tag: request.tag, softTimeLimit: request.softTimeLimit, capacity: 512) {
      request.message.write(into: &$0)
    }
  }

  /// The run line's frame around the message that `writeMessage` writes.
  private static func runLine(
    tag: String, softTimeLimit: Double?, capacity: Int, _ writeMessage: (inout JSONWriter) -> Void
  ) -> [UInt8] {
    var writer = JSONWriter(capacity: capacity)
    writer.appendRaw(#"{"type":"run","tag":"#)
    writer.writeString(tag)
    if let softTimeLimit {
      writer.appendRaw(#","softTimeLimit":"#)
      writer.writeDouble(softTimeLimit)
    }
    writer.appendRaw(#","message":"#)
    writeMessage(&writer)
    writer.appendRaw("}\n")
    return writer.bytes
  }
}

/// What a child tells its supervisor.
public enum ChildEvent: Codable, Sendable, Equatable {
  /// The child has booted and is idle.
  case ready(pid: Int32)
  /// The child is alive (sent at a fixed interval from a dedicated thread).
  case heartbeat
  /// The running task reported progress (a custom state with metadata).
  case progress(tag: String, state: TaskState, meta: JSONValue)
  /// The running task finished; the child is idle again. `rssKiB` is its peak resident memory.
  case finished(tag: String, outcome: TaskOutcome, rssKiB: Int)
}

/// How a task run ended inside a child.
public enum TaskOutcome: Codable, Sendable, Equatable {
  /// It returned a value.
  case success(JSONValue)
  /// It threw.
  case failure(TaskFailure)
  /// It asked to run again after `countdown` seconds (`nil`: the task's retry policy decides).
  case retry(countdown: Double?, reason: String)
}
