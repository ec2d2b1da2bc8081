import ArgumentParser
import Celeriac

/// The ids and signal of `control revoke`.
struct RevokeArguments: RemoteControlArguments {
  @Argument(help: "Task ids.") var taskIDs: [String]
  @Flag(help: "Also signal the child running a task.") var terminate = false
  @Option(help: "The signal --terminate sends: TERM, KILL, INT, QUIT, USR1 (default TERM).")
  var signal = "SIGTERM"

  func validate() throws {
    try TaskIDArguments.validate(taskIDs)
    let bare = signal.uppercased().hasPrefix("SIG") ? String(signal.dropFirst(3)) : signal
    guard
      ["TERM", "KILL", "INT", "QUIT", "USR1", "15", "9", "2", "3", "10"].contains(bare.uppercased())
    else { throw ValidationError("--signal must be TERM, KILL, INT, QUIT or USR1, not \(signal)") }
  }

  var request: [String: JSONValue] {
    [
      "task_id": .array(taskIDs.map(JSONValue.string)), "terminate": .bool(terminate),
      "signal": .string(signal),
    ]
  }
}

/// The `N` of `pool-grow` and `pool-shrink`.
struct PoolStepArgument: RemoteControlArguments {
  /// The largest step accepted.
  static let maximumStep = 1_000
  @Argument(help: "How many children (default 1).") var count: Int = 1

  func validate() throws {
    guard (1...Self.maximumStep).contains(count) else {
      throw ValidationError("the count must be 1…\(Self.maximumStep), not \(count)")
    }
  }

  var request: [String: JSONValue] { ["n": .int(Int64(count))] }
}

/// The task name and rate of `control rate-limit`.
struct RateLimitArguments: RemoteControlArguments {
  @Argument(help: "The task name.") var taskName: String
  @Argument(help: "The rate: N, N/s, N/m or N/h.") var rate: String

  func validate() throws {
    guard !taskName.isEmpty, taskName.utf8.count <= TaskIDArguments.maximumLength,
      !rate.isEmpty, rate.utf8.count <= 32
    else { throw ValidationError("give a task name and a rate such as 10/m") }
    // 0 lifts the limit, as in Celery; anything else must be a rate a worker accepts.
    if rate.split(separator: "/", omittingEmptySubsequences: false).first.flatMap({ Double($0) })
      != 0
    {
      do {
        _ = try RateLimit(rate)
      } catch {
        throw ValidationError(error.message)
      }
    }
  }

  var request: [String: JSONValue] {
    ["task_name": .string(taskName), "rate_limit": .string(rate)]
  }
}

/// The bounds of `control autoscale MAX MIN`.
struct AutoscaleArguments: RemoteControlArguments {
  @Argument(help: "The most children.") var maximum: Int
  @Argument(help: "The fewest children.") var minimum: Int

  func validate() throws {
    guard minimum >= 0, maximum >= max(minimum, 1), maximum <= PoolStepArgument.maximumStep else {
      throw ValidationError("give MAX MIN with 0 <= MIN <= MAX <= \(PoolStepArgument.maximumStep)")
    }
  }

  var request: [String: JSONValue] { ["max": .int(Int64(maximum)), "min": .int(Int64(minimum))] }
}

/// The queue of `add-consumer` and `cancel-consumer`.
struct QueueArgument: RemoteControlArguments {
  /// The longest queue name accepted.
  static let maximumLength = 256

  @Argument(help: "The queue.") var queue: String

  func validate() throws {
    guard !queue.isEmpty, queue.utf8.count <= Self.maximumLength else {
      throw ValidationError("not a queue name: \(queue.prefix(40))")
    }
  }

  var request: [String: JSONValue] { ["queue": .string(queue)] }
}
