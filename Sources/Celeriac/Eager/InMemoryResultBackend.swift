import Foundation
import Synchronization

/// A result backend in this process's memory: what eager mode stores results in.
public final class InMemoryResultBackend: ResultBackend {
  private let records = Mutex<[String: TaskResultRecord]>([:])
  private let revokedIDs = Mutex<Set<String>>([])
  private let keys = Mutex<[String: String]>([:])

  /// An empty backend.
  public init() {}

  /// `memory://`.
  public var redactedURL: String { "memory://" }

  /// Stores the records (expiry is ignored: the process is short-lived).
  public func store(_ records: [TaskResultRecord], expiresIn: Duration?) throws {
    self.records.withLock { stored in
      for record in records { stored[record.taskID] = record }
    }
  }

  /// The record for `taskID`.
  public func result(for taskID: String) throws -> TaskResultRecord? {
    records.withLock { $0[taskID] }
  }

  /// Eager tasks are finished before their handle exists: no waiting.
  public func waitForResult(_ taskID: String, timeout: Duration) throws -> TaskResultRecord? {
    try result(for: taskID)
  }

  /// Nothing expires in memory.
  public func deleteExpired() throws -> Int { 0 }

  /// Records revocations.
  public func revoke(_ taskIDs: [String]) throws {
    revokedIDs.withLock { $0.formUnion(taskIDs) }
  }

  /// Which of `taskIDs` were revoked.
  public func revoked(among taskIDs: [String]) throws -> Set<String> {
    revokedIDs.withLock { $0.intersection(taskIDs) }
  }

  /// Reserves `key` for `taskID` unless already held.
  public func reserveIdempotencyKey(_ key: String, for taskID: String, expiresIn: Duration) throws
    -> String?
  {
    keys.withLock { keys in
      if let holder = keys[key] { return holder }
      keys[key] = taskID
      return nil
    }
  }

  /// Forgets `key` if `taskID` holds it.
  public func releaseIdempotencyKey(_ key: String, heldBy taskID: String) throws {
    keys.withLock { keys in
      if keys[key] == taskID { keys[key] = nil }
    }
  }
}
