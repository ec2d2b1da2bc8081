import CeleriacCore

/// The supervisor's live state for one pool: size target, restart and autoscale policies.
struct PoolState {
  var configuration: PoolConfiguration
  /// How many children the pool should have now.
  var target: Int
  var restartPolicy: RestartPolicy
  var autoscaler: Autoscaler?
  /// Slots waiting for a restart after a crash, with the time they may respawn.
  var pendingRestarts: [Int: ContinuousClock.Instant] = [:]
  /// The last depth read from the broker.
  var depth = 0
  var nextAutoscaleSample: ContinuousClock.Instant
  /// Tasks claimed ahead for this pool, held by the supervisor until a child is idle.
  var reserved: [Delivery] = []
  /// The last claim returned fewer tasks than asked for.
  var queueLooksEmpty = false

  var name: String { configuration.name }
}
