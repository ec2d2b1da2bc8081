import CeleriacCore

/// The supervisor's children by pid, and the questions the loop asks of them: which are idle
/// in a pool, how many count toward its size, how many are busy.
///
/// Owned by the loop thread, like the ``ChildProcess`` records it holds.
struct ChildTable {
  private var byPID: [Int32: ChildProcess] = [:]

  /// Whether no child is alive (or unreaped).
  var isEmpty: Bool { byPID.isEmpty }

  /// Every child, in no particular order.
  var all: Dictionary<Int32, ChildProcess>.Values { byPID.values }

  /// Every child, oldest pid first (for logs and replies that should read the same each time).
  var byAscendingPID: [ChildProcess] { byPID.values.sorted { $0.pid < $1.pid } }

  /// The child with `pid`, if it is one of ours.
  subscript(pid: Int32) -> ChildProcess? { byPID[pid] }

  /// Adds a child that was just spawned.
  mutating func insert(_ child: ChildProcess) {
    byPID[child.pid] = child
  }

  /// Forgets a child that was reaped.
  mutating func remove(_ child: ChildProcess) {
    byPID[child.pid] = nil
  }

  /// How many children are running a task.
  var busyCount: Int { byPID.values.count { $0.assignment != nil } }

  /// Whether some child could take a task now, in `pool` or (nil) in any pool.
  func hasAvailable(in pool: String? = nil) -> Bool {
    byPID.values.contains { $0.isAvailable && (pool == nil || $0.poolName == pool) }
  }

  /// The children of `pool` that could take a task now.
  func available(in pool: String) -> [ChildProcess] {
    byPID.values.filter { $0.poolName == pool && $0.isAvailable }
  }

  /// The children of `pool` and `generation` that count toward the pool's size.
  func active(in pool: String, generation: Int) -> [ChildProcess] {
    byPID.values.filter { $0.poolName == pool && $0.generation == generation && $0.isActive }
  }

  /// How the active children of `pool` are doing, for status lines, autoscaling and metrics.
  func census(of pool: String, generation: Int) -> PoolCensus {
    var census = PoolCensus()
    for child in byPID.values
    where child.poolName == pool && child.generation == generation && child.isActive {
      census.active += 1
      if child.everReady { census.ready += 1 }
      switch child.phase {
      case .busy: census.busy += 1
      case .idle: census.idle += 1
      case .starting, .stopping: break
      }
    }
    return census
  }

  /// How many children of `pool` and `generation` are in each phase, those on their way out
  /// included (the pool gauges).
  func phaseCounts(of pool: String, generation: Int) -> [ChildProcess.Phase: Int] {
    var counts: [ChildProcess.Phase: Int] = [:]
    for child in byPID.values where child.poolName == pool && child.generation == generation {
      counts[child.phase, default: 0] += 1
    }
    return counts
  }

  /// The children running one of `tags`.
  func holding(_ tags: Set<DeliveryTag>) -> [ChildProcess] {
    byPID.values.filter { child in child.assignment.map { tags.contains($0.delivery.tag) } ?? false
    }
  }
}

/// Counts of one pool's children at one moment.
struct PoolCensus: Equatable {
  /// Children of the current generation that count toward the pool's size.
  var active = 0
  /// Active children that were ready at least once.
  var ready = 0
  /// Active children running a task.
  var busy = 0
  /// Active children waiting for a task.
  var idle = 0
}
