import Celeriac
import CeleriacWorker
import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Drives a ``BeatScheduler``: a turn, then a wait until the next due time (at most
/// ``BeatDefaults/maximumSleep``), with systemd notifications and signals when it is the main
/// loop of `celeriac beat`, or on its own thread inside `celeriac worker -B`. Used by one
/// thread only (the one that calls ``run(after:signals:)``), hence unchecked.
final class BeatRunner: @unchecked Sendable {
  private let scheduler: BeatScheduler
  private let logger: Logger
  private let notifier: SystemdNotifier?
  private let reloadSchedule: (() throws -> BeatSchedule)?
  private var lastWatchdog = ContinuousClock.now
  private var lastStatus = ""

  /// A runner; `notifier` and `reloadSchedule` only for the standalone command.
  init(
    scheduler: BeatScheduler, logger: Logger, notifier: SystemdNotifier?,
    reloadSchedule: (() throws -> BeatSchedule)?
  ) {
    self.scheduler = scheduler
    self.logger = logger
    self.notifier = notifier
    self.reloadSchedule = reloadSchedule
  }

  /// The first turn: it must reach the broker. Returns the report, or the broker's error.
  func start() -> Result<BeatTurnReport, CommandFailure> {
    let report = scheduler.turn()
    log(report)
    for case .brokerError(let message) in report.events {
      return .failure(CommandFailure(message, code: 5))
    }
    notifier?.ready(status: report.statusLine)
    lastStatus = report.statusLine
    return .success(report)
  }

  /// Runs until TERM or INT (with `signals`, the signal pipe) or for ever (without).
  func run(after first: BeatTurnReport, signals: Int32?) {
    var report = first
    while true {
      let wait = sleepDuration(until: report.wakeAt)
      if let signals {
        var descriptor = pollfd(fd: signals, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, Int32(wait * 1_000))
        for signal in SignalQueue.drain() {
          switch signal {
          case .term, .int, .quit:
            logger.info("beat: shutting down (\(signal))")
            notifier?.stopping(status: "stopping")
            scheduler.resign()
            return
          case .hup: reload()
          default: continue
          }
        }
      } else {
        Thread.sleep(forTimeInterval: wait)
      }
      report = scheduler.turn()
      log(report)
      notify(report)
    }
  }

  private func sleepDuration(until wake: Date) -> Double {
    var wait = min(wake.timeIntervalSinceNow, BeatDefaults.maximumSleep.seconds)
    if let interval = notifier?.watchdogInterval { wait = min(wait, interval.seconds / 4) }
    return max(wait, 0.001)
  }

  private func reload() {
    guard let reloadSchedule else { return }
    notifier?.reloading()
    do {
      let schedule = try reloadSchedule()
      scheduler.replaceSchedule(schedule)
      logger.info("beat: schedule reloaded: \(schedule.entries.count) file entries")
    } catch {
      logger.error("beat: schedule not reloaded, keeping the old one: \(error)")
    }
    notifier?.ready(status: lastStatus)
  }

  private func notify(_ report: BeatTurnReport) {
    guard let notifier else { return }
    if let interval = notifier.watchdogInterval,
      ContinuousClock.now - lastWatchdog >= interval / 4
    {
      notifier.watchdogPing()
      lastWatchdog = .now
    }
    let status = report.statusLine
    if status != lastStatus {
      notifier.status(status)
      lastStatus = status
    }
  }

  private func log(_ report: BeatTurnReport) {
    for event in report.events {
      switch event {
      case .brokerError: logger.error("\(event.description)")
      case .missed, .shadowed, .lostLeadership: logger.warning("\(event.description)")
      default: logger.info("\(event.description)")
      }
    }
  }
}
