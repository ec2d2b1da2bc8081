import Foundation

/// What a running supervisor publishes about itself, so that `celeriac inspect` on any machine
/// sees every worker, its pools and their load.
public struct WorkerStatus: Codable, Sendable, Equatable {
  /// The worker's node name, e.g. `celeriac@host`.
  public var hostname: String
  /// The supervisor's pid.
  public var pid: Int32
  /// When the supervisor started.
  public var startedAt: Date
  /// When this status was published.
  public var updatedAt: Date
  /// What the supervisor is doing.
  public var state: WorkerState
  /// One entry per pool.
  public var pools: [PoolStatus]
  /// Tasks that succeeded since start.
  public var succeeded: Int
  /// Tasks that failed since start.
  public var failed: Int

  /// Creates a status.
  public init(
    hostname: String, pid: Int32, startedAt: Date, updatedAt: Date = Date(),
    state: WorkerState, pools: [PoolStatus], succeeded: Int, failed: Int
  ) {
    self.hostname = hostname
    self.pid = pid
    self.startedAt = startedAt
    self.updatedAt = updatedAt
    self.state = state
    self.pools = pools
    self.succeeded = succeeded
    self.failed = failed
  }
}

/// What a supervisor is doing, as its published status says. Open-ended (a string on the
/// wire), so that a status written by another version still reads.
public struct WorkerState: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
  /// Serving its queues.
  public static let running = WorkerState(rawValue: "running")
  /// Replacing its children with a new generation (SIGHUP).
  public static let reloading = WorkerState(rawValue: "reloading")
  /// Shut down (its last status, until the status expires).
  public static let stopped = WorkerState(rawValue: "stopped")

  /// The state's name.
  public let rawValue: String

  /// A state named `rawValue`.
  public init(rawValue: String) { self.rawValue = rawValue }

  /// Reads the name (a plain JSON string).
  public init(from decoder: any Decoder) throws {
    self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
  }

  /// Writes the name (a plain JSON string).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(rawValue)
  }

  /// The name.
  public var description: String { rawValue }
}

/// The load of one pool.
public struct PoolStatus: Codable, Sendable, Equatable {
  /// The pool's name.
  public var name: String
  /// The queues it serves.
  public var queues: [String]
  /// Tasks waiting in those queues.
  public var depth: Int
  /// Children running a task.
  public var busy: Int
  /// Children ready for a task.
  public var idle: Int
  /// How many children the pool aims for now.
  public var target: Int
  /// The pool's lower bound.
  public var minimum: Int
  /// The pool's upper bound.
  public var maximum: Int

  /// Creates a pool status.
  public init(
    name: String, queues: [String], depth: Int, busy: Int, idle: Int, target: Int,
    minimum: Int, maximum: Int
  ) {
    self.name = name
    self.queues = queues
    self.depth = depth
    self.busy = busy
    self.idle = idle
    self.target = target
    self.minimum = minimum
    self.maximum = maximum
  }
}
