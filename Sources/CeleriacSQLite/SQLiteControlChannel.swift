import CeleriacCore
import Foundation
import GRDB

/// A worker's remote-control channel on the SQLite file: a mailbox of two tables.
///
/// A caller inserts a row into `control_requests` (the request as JSON `{"method",
/// "arguments", "destination", "ticket"}`, and when it stops waiting); each supervisor reads
/// the rows past the last id it saw, at most ``maximumBatch`` a turn, and inserts its reply
/// into `control_replies` under the request's ticket. The caller deletes its request and
/// replies when done; rows left by a caller that died are deleted by the next caller.
final class SQLiteControlChannel: ControlChannel {
  /// The most requests taken in one ``receive()``, so a flood cannot hold the loop.
  static let maximumBatch = 32
  /// How long a reply row is kept when the caller never reads it.
  static let replyLifetime: Duration = .seconds(300)

  private let store: SQLiteStore
  private var lastSeen: Int64

  init(store: SQLiteStore) throws {
    self.store = store
    lastSeen = try store.read("open remote control", unavailable: .brokerUnavailable) { db in
      try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM control_requests") ?? 0
    }
  }

  private static let receiveSQL =
    "SELECT id, request, expires FROM control_requests WHERE id > ? ORDER BY id LIMIT ?"

  func receive() throws -> [ControlRequest] {
    let rows = try store.read("read remote control", unavailable: .brokerUnavailable) { db in
      // Cached: the worker polls this every 50 ms, and compiling it cost more than running it.
      try Row.fetchAll(
        db.cachedStatement(sql: Self.receiveSQL), arguments: [lastSeen, Self.maximumBatch])
    }
    let now = unixNow()
    var requests: [ControlRequest] = []
    for row in rows {
      let id: Int64 = row[0]
      lastSeen = max(lastSeen, id)
      let expires: Double = row[2]
      guard expires >= now, let request = Self.decode(row[1]) else { continue }
      requests.append(request)
    }
    return requests
  }

  func reply(_ reply: JSONValue, from hostname: String, to request: ControlRequest) throws {
    guard let ticket = request.ticket else { return }
    let json = try JSONCoding.encodeString(reply)
    try store.write("reply to remote control", unavailable: .brokerUnavailable) { db in
      try db.execute(
        sql: "INSERT INTO control_replies (ticket, hostname, reply, expires) VALUES (?, ?, ?, ?)",
        arguments: [ticket, hostname, json, unixNow() + Self.replyLifetime.seconds])
    }
  }

  func close() {}

  /// The request as stored.
  static func encode(_ request: ControlRequest) throws -> String {
    try JSONCoding.encodeString(
      JSONValue.object([
        "method": .string(request.method), "arguments": .object(request.arguments),
        "destination": request.destination.map { .array($0.map(JSONValue.string)) } ?? .null,
        "ticket": request.ticket.map(JSONValue.string) ?? .null,
      ]))
  }

  /// A stored request; `nil` when the row is not one (any process may write the file).
  static func decode(_ json: String) -> ControlRequest? {
    guard case .object(let fields)? = try? JSONCoding.decode(JSONValue.self, from: json),
      let method = fields["method"]?.stringValue, !method.isEmpty, method.utf8.count <= 256,
      let ticket = fields["ticket"]?.stringValue
    else { return nil }
    var request = ControlRequest(method: method, ticket: ticket)
    if case .object(let arguments)? = fields["arguments"] { request.arguments = arguments }
    if case .array(let names)? = fields["destination"] {
      request.destination = names.compactMap(\.stringValue)
    }
    return request
  }
}

extension SQLiteBroker: RemoteControlling {
  /// How often a caller looks for new replies while it waits.
  static let controlReplyPollInterval: Duration = .milliseconds(20)

  /// Opens the mailbox at its current end: requests sent from now on are seen.
  public func openControlChannel(hostname: String) throws -> any ControlChannel {
    try SQLiteControlChannel(store: store)
  }

  /// Inserts the request, reads replies under its ticket until `timeout` or `limit` replies,
  /// then deletes the request, its replies and anything other callers left expired.
  public func broadcast(_ request: ControlRequest, timeout: Duration, limit: Int?) throws
    -> [ControlReply]
  {
    let timeout = min(max(timeout, .zero), ControlBroadcastLimits.maximumTimeout)
    let limit = min(
      max(limit ?? ControlBroadcastLimits.maximumReplies, 1), ControlBroadcastLimits.maximumReplies)
    var outgoing = request
    let ticket = UUID().lowercasedText
    outgoing.ticket = ticket
    let json = try SQLiteControlChannel.encode(outgoing)
    let requestID = try store.write("send remote control", unavailable: .brokerUnavailable) { db in
      let now = unixNow()
      try db.execute(sql: "DELETE FROM control_requests WHERE expires < ?", arguments: [now])
      try db.execute(sql: "DELETE FROM control_replies WHERE expires < ?", arguments: [now])
      try db.execute(
        sql: "INSERT INTO control_requests (request, expires) VALUES (?, ?)",
        arguments: [json, now + timeout.seconds])
      return db.lastInsertedRowID
    }
    defer {
      _ = try? store.write("end remote control", unavailable: .brokerUnavailable) { db in
        try db.execute(sql: "DELETE FROM control_requests WHERE id = ?", arguments: [requestID])
        try db.execute(sql: "DELETE FROM control_replies WHERE ticket = ?", arguments: [ticket])
      }
    }
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var replies: [ControlReply] = []
    var seen: Set<String> = []
    var lastReply: Int64 = 0
    while true {
      let rows = try store.read("read remote control replies", unavailable: .brokerUnavailable) {
        db in
        try Row.fetchAll(
          db,
          sql:
            "SELECT id, hostname, reply FROM control_replies WHERE ticket = ? AND id > ? ORDER BY id LIMIT ?",
          arguments: [ticket, lastReply, ControlBroadcastLimits.maximumReplies])
      }
      for row in rows {
        lastReply = max(lastReply, row[0])
        let hostname: String = row[1]
        guard !hostname.isEmpty, hostname.utf8.count <= ControlReply.maximumHostnameLength,
          let reply = try? JSONCoding.decode(JSONValue.self, from: row[2] as String),
          seen.insert(hostname).inserted
        else { continue }
        replies.append(ControlReply(hostname: hostname, reply: reply))
      }
      let remaining = deadline - clock.now
      if replies.count >= limit || remaining <= .zero { return Array(replies.prefix(limit)) }
      Thread.sleep(forTimeInterval: min(remaining, Self.controlReplyPollInterval).seconds)
    }
  }
}
