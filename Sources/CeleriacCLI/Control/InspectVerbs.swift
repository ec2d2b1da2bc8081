import ArgumentParser
import Celeriac

/// The `celeriac inspect` verbs answered by every live worker.
extension RemoteControlVerb {
  static let ping = Self("ping", "Ask every live worker to answer.")
  static let active = Self(
    "active", "List the tasks running now (id, name, child pid).", layout: .tasks)
  static let reserved = Self(
    "reserved", "List the tasks a worker holds for its next free child.",
    layout: .tasks)
  static let scheduled = Self(
    "scheduled", "List the tasks with an ETA a worker holds.", layout: .tasks)
  static let revoked = Self(
    "revoked", "List the task ids a worker knows to be revoked.", layout: .names)
  static let registered = Self(
    "registered", "List the task names each worker can run.", layout: .names)
  static let stats = Self("stats", "Show each worker's statistics (pids, totals, pool).")
  static let activeQueues = Self(
    "active-queues", "List the queues each worker consumes.", layout: .queues)
  static let conf = Self("conf", "Show each worker's configuration (Celery's setting names).")
  static let queryTask = Self("query-task", "Ask the workers about task ids (active, reserved).")
}

/// `celeriac inspect ping`: which workers answer.
enum InspectPing: RemoteControlVerbSpec { static let verb = RemoteControlVerb.ping }
/// `celeriac inspect active`: the tasks running now, with the child that runs each.
enum InspectActive: RemoteControlVerbSpec { static let verb = RemoteControlVerb.active }
/// `celeriac inspect reserved`: tasks claimed and waiting for a free child.
enum InspectReserved: RemoteControlVerbSpec { static let verb = RemoteControlVerb.reserved }
/// `celeriac inspect scheduled`: tasks with an ETA a worker holds.
enum InspectScheduled: RemoteControlVerbSpec { static let verb = RemoteControlVerb.scheduled }
/// `celeriac inspect revoked`: the task ids a worker knows to be revoked.
enum InspectRevoked: RemoteControlVerbSpec { static let verb = RemoteControlVerb.revoked }
/// `celeriac inspect registered`: the task names each worker can run.
enum InspectRegistered: RemoteControlVerbSpec { static let verb = RemoteControlVerb.registered }
/// `celeriac inspect stats`: pids, uptime, totals, pool.
enum InspectStats: RemoteControlVerbSpec { static let verb = RemoteControlVerb.stats }
/// `celeriac inspect active-queues` (or `active_queues`): the queues each worker consumes.
enum InspectActiveQueues: RemoteControlVerbSpec { static let verb = RemoteControlVerb.activeQueues }
/// `celeriac inspect conf`: each worker's configuration as Celery names it.
enum InspectConf: RemoteControlVerbSpec { static let verb = RemoteControlVerb.conf }
/// `celeriac inspect query-task ID…` (or `query_task`): what each worker knows of the tasks.
enum InspectQueryTask: RemoteControlVerbSpec { static let verb = RemoteControlVerb.queryTask }

/// The ids of `inspect query-task`.
struct QueryTaskArguments: RemoteControlArguments {
  @Argument(help: "Task ids.") var taskIDs: [String]

  func validate() throws { try TaskIDArguments.validate(taskIDs) }

  var request: [String: JSONValue] { ["ids": .array(taskIDs.map(JSONValue.string))] }
}
