import ArgumentParser
import Celeriac

/// The `celeriac control` verbs, sent to every live worker.
extension RemoteControlVerb {
  static let revoke = Self(
    "revoke", "Revoke tasks; with --terminate, signal the child running one.")
  static let poolGrow = Self("pool-grow", "Add N children to each worker's pools.")
  static let poolShrink = Self("pool-shrink", "Remove N children from each worker's pools.")
  static let shutdown = Self("shutdown", "Shut the workers down warmly (running tasks finish).")
  static let enableEvents = Self("enable-events", "Make the workers send Celery's task events.")
  static let disableEvents = Self("disable-events", "Stop the workers' task events.")
  static let rateLimit = Self(
    "rate-limit", "Set a task's rate limit on every worker (10/s, 5/m, 100/h; 0 lifts it).")
  static let autoscale = Self("autoscale", "Set the autoscaler's bounds of each worker's pools.")
  static let addConsumer = Self("add-consumer", "Make the workers consume another queue.")
  static let cancelConsumer = Self("cancel-consumer", "Make the workers stop consuming a queue.")
}

/// `celeriac control revoke ID… [--terminate [--signal SIG]]`.
enum ControlRevoke: RemoteControlVerbSpec { static let verb = RemoteControlVerb.revoke }
/// `celeriac control pool-grow [N]` (or `pool_grow`).
enum ControlPoolGrow: RemoteControlVerbSpec { static let verb = RemoteControlVerb.poolGrow }
/// `celeriac control pool-shrink [N]` (or `pool_shrink`).
enum ControlPoolShrink: RemoteControlVerbSpec { static let verb = RemoteControlVerb.poolShrink }
/// `celeriac control shutdown`: a warm shutdown of every worker addressed.
enum ControlShutdown: RemoteControlVerbSpec { static let verb = RemoteControlVerb.shutdown }
/// `celeriac control enable-events` (or `enable_events`).
enum ControlEnableEvents: RemoteControlVerbSpec { static let verb = RemoteControlVerb.enableEvents }
/// `celeriac control disable-events` (or `disable_events`).
enum ControlDisableEvents: RemoteControlVerbSpec {
  static let verb = RemoteControlVerb.disableEvents
}
/// `celeriac control rate-limit TASK RATE` (or `rate_limit`), e.g. `tasks.add 10/m`.
enum ControlRateLimit: RemoteControlVerbSpec { static let verb = RemoteControlVerb.rateLimit }
/// `celeriac control autoscale MAX MIN`.
enum ControlAutoscale: RemoteControlVerbSpec { static let verb = RemoteControlVerb.autoscale }
/// `celeriac control add-consumer QUEUE` (or `add_consumer`).
enum ControlAddConsumer: RemoteControlVerbSpec { static let verb = RemoteControlVerb.addConsumer }
/// `celeriac control cancel-consumer QUEUE` (or `cancel_consumer`).
enum ControlCancelConsumer: RemoteControlVerbSpec {
  static let verb = RemoteControlVerb.cancelConsumer
}
