import CeleriacCore
import Foundation
import GRDB
import SystemPackage

/// One SQLite file holding both the broker's queues and the result backend's records.
///
/// The file is opened as a GRDB `DatabasePool` in WAL mode, so that a supervisor and any
/// number of producer processes can share it: readers never wait, writers wait for each other
/// up to the busy timeout (see ``SQLiteBusyBackoff``). A new file is created with owner-only
/// permissions (0600); SQLite gives its `-wal` and `-shm` files the same mode. Build a
/// ``SQLiteBroker`` and a ``SQLiteResultBackend`` on the same store to share one pool.
public final class SQLiteStore: Sendable {
  /// How long a writer waits for another process's write transaction, by default.
  public static let defaultBusyTimeout: Duration = .seconds(10)

  /// The file's path as given (relative paths are relative to the working directory at open).
  public let path: String

  /// The store's location as a `sqlite://` URL (SQLite URLs carry no password).
  public let redactedURL: String

  let pool: DatabasePool

  /// Opens (creating if needed, with mode 0600) the SQLite file at `path` and brings its
  /// schema up to date. A writer waits up to `busyTimeout` for another one to finish.
  ///
  /// - Throws: ``CeleriacError`` `.brokerUnavailable` naming the path and the reason when the
  ///   file cannot be created or opened, or is not an SQLite database.
  public convenience init(path: String, busyTimeout: Duration = SQLiteStore.defaultBusyTimeout)
    throws
  {
    try self.init(path: path, busyTimeout: busyTimeout, unavailable: .brokerUnavailable)
  }

  /// Opens the SQLite file named by a `sqlite:///abs/path.db` or `sqlite://relative.db` URL.
  ///
  /// - Throws: ``CeleriacError`` `.invalidURL` for a URL that is not of that form, and the
  ///   errors of ``init(path:busyTimeout:)``.
  public convenience init(url: String, busyTimeout: Duration = SQLiteStore.defaultBusyTimeout)
    throws
  {
    try self.init(path: try SQLiteStore.path(fromURL: url), busyTimeout: busyTimeout)
  }

  init(path: String, busyTimeout: Duration, unavailable: CeleriacError.Code) throws {
    let role = unavailable == .backendUnavailable ? "result backend" : "broker"
    func failure(_ reason: String) -> CeleriacError {
      CeleriacError(unavailable, "cannot open SQLite \(role) at \(path): \(reason)")
    }
    guard !path.isEmpty else { throw failure("the path is empty") }
    self.path = path
    self.redactedURL = SQLiteStore.url(forPath: path)

    // Create the file ourselves so that it never exists with a wider mode than 0600. An
    // existing file is only looked at (lstat: a symbolic link is seen as one), never opened
    // here: closing any descriptor of a file drops every POSIX lock this process holds on
    // it, and another store on the same file in this process (worker -B) holds SQLite's.
    var info = stat()
    if lstat(path, &info) != 0 {
      guard errno == ENOENT else { throw failure(Errno(rawValue: errno).description) }
      let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
      if descriptor >= 0 {
        close(descriptor)
      } else if errno != EEXIST {  // another process created it meanwhile: fine
        throw failure(Errno(rawValue: errno).description)
      }
      guard lstat(path, &info) == 0 else { throw failure(Errno(rawValue: errno).description) }
    }
    if let problem = SQLiteStore.ownershipProblem(info) { throw failure(problem) }

    var configuration = Configuration()
    let backoff = SQLiteBusyBackoff(timeout: busyTimeout)
    configuration.busyMode = .callback { tries in
      guard let delay = backoff.delay(afterTries: tries) else { return false }
      var interval = timespec(
        tv_sec: Int(delay.components.seconds),
        tv_nsec: Int(delay.components.attoseconds / 1_000_000_000))
      var remaining = timespec()
      while nanosleep(&interval, &remaining) != 0 && errno == EINTR { interval = remaining }
      return true
    }
    configuration.label = "celeriac.sqlite"
    configuration.prepareDatabase { db in
      // DatabasePool also forces NORMAL in WAL mode; say it here for every connection.
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
      try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
      // A worker checkpoints on a thread of its own (SQLiteCheckpointer); this is the net.
      try db.execute(
        sql: "PRAGMA wal_autocheckpoint = \(SQLiteCheckpointer.automaticCheckpointPages)")
    }

    self.pool = try SQLiteStore.openPool(path: path, configuration: configuration, failure)
  }

  /// Why a file must not hold the queues: it is a symbolic link, it is not a regular file, or it is owned by
  /// another user (root may use any), or others may write to it (a producer could be handed
  /// forged tasks to run). `nil` when it is fine.
  static func ownershipProblem(_ info: stat) -> String? {
    if (info.st_mode & S_IFMT) == S_IFLNK { return "it is a symbolic link; give the real path" }
    guard (info.st_mode & S_IFMT) == S_IFREG else { return "it is not a regular file" }
    let user = geteuid()
    if user != 0 && info.st_uid != user {
      return "it is owned by uid \(info.st_uid), not by this user (uid \(user))"
    }
    if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
      let mode = String(info.st_mode & 0o777, radix: 8)
      return "it is writable by group or others (mode \(mode)); chmod 600 it"
    }
    return nil
  }

  /// Opens the pool and migrates the schema. Several processes may open a fresh file at once:
  /// the loser of a race on the WAL switch or on a migration sees BUSY or "already exists"
  /// once, and finds the work done when it tries again.
  private static func openPool(
    path: String, configuration: Configuration, _ failure: (String) -> CeleriacError
  ) throws -> DatabasePool {
    let retryable: [ResultCode] = [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_ERROR]
    var attempt = 0
    while true {
      attempt += 1
      do {
        let pool = try DatabasePool(path: path, configuration: configuration)
        try SQLiteSchema.migrator.migrate(pool)
        return pool
      } catch let error as DatabaseError {
        if attempt < 5 && retryable.contains(error.resultCode) {
          Thread.sleep(forTimeInterval: 0.01 * Double(attempt))
          continue
        }
        throw failure(error.message ?? "\(error)")
      } catch {
        throw failure("\(error)")
      }
    }
  }

  /// The file path named by a SQLite URL: `sqlite:///abs/path.db` gives `/abs/path.db`,
  /// `sqlite://relative.db` gives `relative.db` (relative to the working directory).
  ///
  /// - Throws: ``CeleriacError`` `.invalidURL` with one line naming the problem: another
  ///   scheme, no path, or a query or fragment (SQLite URLs take no options).
  public static func path(fromURL url: String) throws -> String {
    let scheme = "sqlite://"
    guard url.lowercased().hasPrefix(scheme) else {
      throw CeleriacError(
        .invalidURL,
        "not a SQLite URL: \(url) (expected sqlite:///absolute/path.db or sqlite://relative.db)")
    }
    let rest = String(url.dropFirst(scheme.count))
    if rest.contains("?") || rest.contains("#") {
      throw CeleriacError(
        .invalidURL, "SQLite URL \(url) has a query or fragment; SQLite URLs take only a path")
    }
    guard !rest.isEmpty, rest != "/" else {
      throw CeleriacError(.invalidURL, "SQLite URL \(url) has no file path")
    }
    guard let path = rest.removingPercentEncoding else {
      throw CeleriacError(.invalidURL, "SQLite URL \(url) has an invalid percent escape")
    }
    if path.hasSuffix("/") {
      throw CeleriacError(.invalidURL, "SQLite URL \(url) names a directory, not a file")
    }
    return path
  }

  /// The `sqlite://` URL for a file path: the inverse of ``path(fromURL:)``.
  public static func url(forPath path: String) -> String {
    "sqlite://" + path.escaping(["%": "%25", "?": "%3F", "#": "%23"])
  }

  /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`), mapping database errors to a
  /// ``CeleriacError`` of `code` naming the operation and the file.
  func write<T>(
    _ operation: String, unavailable code: CeleriacError.Code,
    _ body: (Database) throws -> T
  ) throws -> T {
    try mapErrors(operation, code) { try pool.write(body) }
  }

  /// Runs `body` on a reader (a WAL snapshot), mapping errors like ``write(_:unavailable:_:)``.
  func read<T>(
    _ operation: String, unavailable code: CeleriacError.Code,
    _ body: (Database) throws -> T
  ) throws -> T {
    try mapErrors(operation, code) { try pool.read(body) }
  }

  private func mapErrors<T>(
    _ operation: String, _ code: CeleriacError.Code, _ body: () throws -> T
  ) throws -> T {
    do {
      return try body()
    } catch let error as CeleriacError {
      throw error
    } catch let error as DatabaseError {
      throw CeleriacError(
        code, "SQLite \(operation) failed at \(path): \(error.message ?? "\(error)")")
    } catch {
      throw CeleriacError(code, "SQLite \(operation) failed at \(path): \(error)")
    }
  }
}

/// The current time as a Unix timestamp, as stored in the `eta`, `lease_expires` and
/// `expires` columns.
func unixNow() -> Double {
  Date().timeIntervalSince1970
}
