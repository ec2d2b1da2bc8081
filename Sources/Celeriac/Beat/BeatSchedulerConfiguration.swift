import CeleriacCore
import Foundation

/// How a ``BeatScheduler`` runs: its identity, lease and windows, with documented defaults.
public struct BeatSchedulerConfiguration: Sendable, Equatable {
  /// This beat's id in the lease: `host.pid.random`, unique among running beats.
  public var holder: String
  /// How long the leader lease lasts without renewal (``BeatDefaults/leaderLease``).
  public var leaderLease: Duration
  /// Due times late by less than this are each published (``BeatDefaults/catchUpWindow``).
  public var catchUpWindow: Duration
  /// How often the stored entries' revision is read (``BeatDefaults/refreshInterval``).
  public var refreshInterval: Duration

  /// The smallest catch-up window: a due time is always at least this late by the time a
  /// turn sees it, so a smaller window would treat punctual runs as missed.
  public static let minimumCatchUpWindow: Duration = .milliseconds(500)

  /// Creates a configuration; every value defaults to ``BeatDefaults``.
  public init(
    holder: String = BeatSchedulerConfiguration.makeHolder(),
    leaderLease: Duration = BeatDefaults.leaderLease,
    catchUpWindow: Duration = BeatDefaults.catchUpWindow,
    refreshInterval: Duration = BeatDefaults.refreshInterval
  ) {
    self.holder = holder
    self.leaderLease = leaderLease
    self.catchUpWindow = catchUpWindow
    self.refreshInterval = refreshInterval
  }

  /// Checks the values.
  ///
  /// - Throws: ``CeleriacError`` `.invalidConfiguration` naming the flag.
  public func validate() throws {
    if holder.isEmpty {
      throw CeleriacError(.invalidConfiguration, "beat holder id must not be empty")
    }
    if leaderLease < .milliseconds(100) {
      throw CeleriacError(.invalidConfiguration, "--leader-lease must be at least 0.1 seconds")
    }
    if catchUpWindow < Self.minimumCatchUpWindow {
      throw CeleriacError(
        .invalidConfiguration, "--catch-up-window must be at least 0.5 seconds")
    }
    if refreshInterval <= .zero {
      throw CeleriacError(.invalidConfiguration, "--refresh-interval must be positive")
    }
  }

  /// A fresh holder id: `host.pid.random`.
  public static func makeHolder() -> String {
    let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init)
    let random = UUID().lowercasedText.prefix(8)
    return "\(host ?? "localhost").\(getpid()).\(random)"
  }
}
