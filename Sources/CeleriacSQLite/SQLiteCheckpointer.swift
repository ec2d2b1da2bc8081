import Foundation
import GRDB
import Synchronization

/// Copies the write-ahead log back into the database file on a thread of its own, so that no
/// commit on the hot path pays for it.
///
/// SQLite checkpoints from inside the commit that takes the log past its threshold (1,000
/// pages by default): that commit copies the pages and syncs the file, 10–20 ms here, which
/// was the round trip's p99 and a stall of the supervisor's loop every few hundred tasks. A
/// worker's broker starts one of these at its first claim: every ``interval`` it runs a
/// `PASSIVE` checkpoint on a connection of its own (which never waits for a writer or blocks
/// one). Every connection keeps SQLite's own checkpoint as a safety net, at
/// ``automaticCheckpointPages`` (set in ``SQLiteStore``), for files no worker is draining.
final class SQLiteCheckpointer: Sendable {
  /// How often the thread checkpoints.
  static let interval: Duration = .milliseconds(200)
  /// The log size (in pages) at which any connection checkpoints in its own commit.
  static let automaticCheckpointPages = 10_000

  private let stopped = Mutex(false)
  private let wake = NSCondition()

  /// Starts checkpointing the file at `path`; `nil` when a connection cannot be opened (then
  /// SQLite's own checkpoints keep the log bounded).
  init?(path: String) {
    var configuration = Configuration()
    configuration.label = "celeriac.sqlite.checkpoint"
    configuration.busyMode = .immediateError
    guard let connection = try? DatabaseQueue(path: path, configuration: configuration) else {
      return nil
    }
    let thread = Thread { [self] in run(connection) }
    thread.name = "celeriac-sqlite-checkpoint"
    thread.start()
  }

  /// Stops the thread at its next wake-up.
  func stop() {
    stopped.withLock { $0 = true }
    wake.lock()
    wake.signal()
    wake.unlock()
  }

  private func run(_ connection: DatabaseQueue) {
    while !stopped.withLock({ $0 }) {
      // A busy or failed checkpoint is tried again at the next interval.
      _ = try? connection.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)")
      }
      wake.lock()
      _ = wake.wait(until: Date(timeIntervalSinceNow: Self.interval.seconds))
      wake.unlock()
    }
  }
}
