import CeleriacCore

/// The supervisor's live state for one pool: size target, restart and autoscale policies, and
/// the tasks it holds in reserve. Owned by the loop thread; a reference, so that the loop's
/// steps change a pool in place wherever they found it.
final class PoolState {
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

  init(
    configuration: PoolConfiguration, target: Int, restartPolicy: RestartPolicy,
    autoscaler: Autoscaler?, nextAutoscaleSample: ContinuousClock.Instant
  ) {
    self.configuration = configuration
    self.target = target
    self.restartPolicy = restartPolicy
    self.autoscaler = autoscaler
    self.nextAutoscaleSample = nextAutoscaleSample
  }

  var name: String { configuration.name }
}
