import CeleriacCore
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension Supervisor {
  /// How opening the broker at start-up ended.
  enum BrokerOpening {
    /// The broker and backend answer.
    case opened
    /// The broker did not answer within the start-up timeout, or the problem is not one that
    /// waiting fixes; ``startupError`` says why.
    case gaveUp
    /// A shutdown signal came while waiting.
    case stopped
  }

  /// Opens the broker and backend. While the broker cannot be reached (a transient error) it
  /// tries again with backoff until ``WorkerConfiguration/brokerStartupTimeout``, saying so in
  /// the log and in systemd's STATUS, pinging the watchdog and extending the start timeout,
  /// so that a broker that comes up after the worker does not exhaust the unit's start limit.
  func openBroker() -> BrokerOpening {
    let deadline = clock.now + configuration.brokerStartupTimeout
    var generator = SystemRandomNumberGenerator()
    var attempt = 0
    while true {
      do {
        connection = try connect()
        _ = try broker.depths(of: configuration.allQueues)
        brokerChanges = (broker as? any ChangeNotifying)?.openChangeSignal(
          watching: configuration.allQueues)
        openControlChannel()
        setEvents(configuration.sendsTaskEvents)
        if attempt > 0 { logger.notice("the broker answers after \(attempt + 1) attempts") }
        return .opened
      } catch {
        connection = nil
        let transient = (error as? CeleriacError)?.isTransient == true
        let left = deadline - clock.now
        guard transient, left > .zero else {
          startupError = "\(error)"
          return .gaveUp
        }
        attempt += 1
        let delay = min(
          WorkerConfiguration.brokerRetryBackoff.delay(attempt: attempt, using: &generator), left)
        if attempt == 1 || attempt.isMultiple(of: 10) {
          logger.warning(
            "waiting for the broker (attempt \(attempt), next in \(delay.shortDescription)): \(error)"
          )
        }
        systemd.notifier.status("waiting for the broker (attempt \(attempt)): \(error)")
        systemd.notifier.extendTimeout(by: delay + .seconds(10))
        systemd.notifier.watchdogPing()
        if shutdownRequested(within: delay) { return .stopped }
      }
    }
  }

  /// Sleeps up to `duration`, returning early with `true` when TERM, INT or QUIT arrives.
  private func shutdownRequested(within duration: Duration) -> Bool {
    var descriptor = pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)
    _ = poll(&descriptor, 1, Int32(clamping: duration.wholeMilliseconds))
    guard descriptor.revents != 0 else { return false }
    return signals.drain().contains { [.term, .int, .quit].contains($0) }
  }
}
