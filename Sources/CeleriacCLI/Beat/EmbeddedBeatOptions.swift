import ArgumentParser
import Celeriac
import Foundation
import Logging

/// `celeriac worker -B`: the same scheduler as `celeriac beat`, on its own thread inside the
/// supervisor process, with its own broker connection. Any number of workers may use `-B`:
/// the lease and the atomic publish keep each due time to one message.
struct EmbeddedBeatOptions: ParsableArguments {
  @Flag(name: [.customShort("B"), .customLong("beat")], help: "Also run beat in this process.")
  var enabled = false

  @OptionGroup var beat: BeatOptions

  /// How long `-B` waits before trying again when the broker did not answer at start.
  static let retryInterval: Duration = .seconds(5)

  /// Starts the scheduler thread when `-B` is given; throws for a bad schedule or flags, so
  /// that the worker does not start with a broken beat.
  func start(app: CeleriacApp, urls: CeleriacConfiguration) throws {
    guard enabled else { return }
    let configuration = try beat.configuration()
    let schedule = try beat.loadSchedule(app: app)
    let connection = try ConnectionFactory.open(urls)
    let store = try BeatStores.open(for: connection.broker)
    let scheduler = BeatScheduler(
      schedule: schedule, store: store, configuration: configuration,
      makeMessage: { app.beatMessage(for: $0, due: $1) })
    let runner = BeatRunner(
      scheduler: scheduler, logger: Logger(label: "celeriac.beat"), notifier: nil,
      reloadSchedule: nil)
    let thread = Thread {
      // The supervisor has its own broker connection and carries on without beat; beat
      // keeps trying until the broker answers.
      while true {
        switch runner.start() {
        case .failure(let failure):
          Logger(label: "celeriac.beat").error(
            "beat (-B) cannot start yet, retrying: \(failure.description)")
          Thread.sleep(forTimeInterval: EmbeddedBeatOptions.retryInterval.seconds)
        case .success(let first):
          runner.run(after: first, signals: nil)
          return
        }
      }
    }
    thread.name = "celeriac-beat"
    thread.start()
  }
}
