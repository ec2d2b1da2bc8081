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
  /// `running`, `reloading` or `stopping`.
  public var state: String
  /// One entry per pool.
  public var pools: [PoolStatus]
  /// Tasks that succeeded since start.
  public var succeeded: Int
  /// Tasks that failed since start.
  public var failed: Int

  /// Creates a status.
  public init(
    hostname: String, pid: Int32, startedAt: Date, updatedAt: Date = Date(),
    state: String, pools: [PoolStatus], succeeded: Int, failed: Int
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
