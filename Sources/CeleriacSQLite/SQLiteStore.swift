import CeleriacCore
import Foundation
import GRDB

/// One SQLite file holding both the broker's queues and the result backend's records.
///
/// The file is opened as a GRDB `DatabasePool` in WAL mode, so that a supervisor and any
/// number of producer processes can share it: readers never wait, writers wait for each other
/// up to the busy timeout. A new file is created with owner-only permissions (0600); SQLite
/// gives its `-wal` and `-shm` files the same mode. Build a ``SQLiteBroker`` and a
/// ``SQLiteResultBackend`` on the same store to share one pool.
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

    // Create the file ourselves so that it never exists with a wider mode than 0600. Only
    // when it is missing: closing a descriptor of a file drops every POSIX lock this process
    // holds on it, so opening a second store on an open file (`worker -B`) would otherwise
    // strip the first store's SQLite locks (another process then deletes the live WAL).
    if access(path, F_OK) != 0 {
      let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
      guard descriptor >= 0 else { throw failure(String(cString: strerror(errno))) }
      close(descriptor)
    }

    var configuration = Configuration()
    configuration.busyMode = .timeout(busyTimeout.seconds)
    configuration.label = "celeriac.sqlite"
    configuration.prepareDatabase { db in
      // DatabasePool also forces NORMAL in WAL mode; say it here for every connection.
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
      try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
    }

    self.pool = try SQLiteStore.openPool(path: path, configuration: configuration, failure)
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
    var escaped = ""
    for character in path {
      switch character {
      case "%": escaped += "%25"
      case "?": escaped += "%3F"
      case "#": escaped += "%23"
      default: escaped.append(character)
      }
    }
    return "sqlite://" + escaped
  }

  /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`), mapping database errors to a
  /// ``CeleriacError`` of `code` naming the operation and the file.
  func write<T>(
    _ operation: String, unavailable code: CeleriacError.Code,
    _ body: (Database) throws -> T
  ) throws -> T {
    try mapErrors(operation, code) {
      try pool.write { db in try body(db) }
    }
  }

  /// Runs `body` on a reader (a WAL snapshot), mapping errors like ``write(_:unavailable:_:)``.
  func read<T>(
    _ operation: String, unavailable code: CeleriacError.Code,
    _ body: (Database) throws -> T
  ) throws -> T {
    try mapErrors(operation, code) {
      try pool.read { db in try body(db) }
    }
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
