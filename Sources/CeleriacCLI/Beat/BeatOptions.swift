import ArgumentParser
import Celeriac
import Foundation

/// The scheduler's flags, shared by `celeriac beat` and `celeriac worker -B`.
struct BeatOptions: ParsableArguments {
  @Option(
    name: [.customShort("s"), .long],
    help: ArgumentHelp(
      "Schedule file (JSON: {\"entries\": [...]}); SIGHUP re-reads it.", valueName: "file"))
  var schedule: String?

  @Option(
    help: ArgumentHelp(
      "Seconds the leader lease lasts without renewal: a killed leader is replaced within about this long.",
      valueName: "seconds"))
  var leaderLease: Double = BeatDefaults.leaderLease.seconds

  @Option(
    help: ArgumentHelp(
      "Due times late by less than this many seconds are each published; older ones are missed and follow the entry's missed_runs policy.",
      valueName: "seconds"))
  var catchUpWindow: Double = BeatDefaults.catchUpWindow.seconds

  /// The scheduler configuration these flags give.
  func configuration() throws -> BeatSchedulerConfiguration {
    let configuration = BeatSchedulerConfiguration(
      leaderLease: .seconds(fractional: leaderLease),
      catchUpWindow: .seconds(fractional: catchUpWindow))
    do {
      try configuration.validate()
    } catch let error as CeleriacError {
      throw ValidationError(error.message)
    }
    return configuration
  }

  /// The static entries: the app's `schedule(...)` ones and the schedule file's.
  ///
  /// - Throws: ``BeatError`` for a file that does not load or a name in both.
  func loadSchedule(app: CeleriacApp) throws -> BeatSchedule {
    var entries = app.beatSchedule.entries
    if let schedule { entries += try BeatSchedule.load(contentsOf: schedule).entries }
    do {
      return try BeatSchedule(entries: entries)
    } catch {
      var located = error
      located.file = schedule
      throw located
    }
  }
}
