import Celeriac
import Foundation
import Hummingbird

/// Reads and checks what a request brings (query parameters, ids, bodies) before anything is
/// asked of the broker: a bad value is a 400 naming the parameter.
enum DashboardRequest {
  /// The longest query string accepted.
  static let maximumQueryLength = 2_048
  /// The largest request body read (a list of ids to replay).
  static let maximumBodySize = 64 * 1024
  /// The most ids one replay takes.
  static let maximumIDs = 1_000

  /// The task listing a request asks for: `state`, `name`, `queue`, `since`, `until` (Unix
  /// seconds or ISO 8601), `limit`, `cursor`.
  static func taskQuery(_ request: Request) throws -> TaskQuery {
    let parameters = try self.parameters(request)
    var query = TaskQuery()
    if let state = nonEmpty(parameters["state"]) {
      let upper = state.uppercased()
      guard upper.utf8.count <= 32, upper.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || $0 == 95 })
      else { throw DashboardError(.badRequest, "state must be a task state such as SUCCESS") }
      query.state = TaskState(rawValue: upper)
    }
    query.name = nonEmpty(parameters["name"])
    query.queue = nonEmpty(parameters["queue"])
    query.since = try nonEmpty(parameters["since"]).map { try date($0, name: "since") }
    query.until = try nonEmpty(parameters["until"]).map { try date($0, name: "until") }
    if let limit = nonEmpty(parameters["limit"]) {
      guard let value = Int(limit), (1...TaskQuery.maximumLimit).contains(value) else {
        throw DashboardError(.badRequest, "limit must be 1…\(TaskQuery.maximumLimit)")
      }
      query.limit = value
    }
    if let cursor = nonEmpty(parameters["cursor"]) {
      guard let parsed = TaskCursor(cursor) else {
        throw DashboardError(.badRequest, "cursor is not one this dashboard gave")
      }
      query.cursor = parsed
    }
    if let problem = query.validationProblem { throw DashboardError(.badRequest, problem) }
    return query
  }

  /// An integer parameter in `range`, or `fallback` when absent.
  static func integer(
    _ request: Request, _ name: String, in range: ClosedRange<Int>, default fallback: Int
  ) throws -> Int {
    guard let text = nonEmpty(try parameters(request)[name]) else { return fallback }
    guard let value = Int(text), range.contains(value) else {
      throw DashboardError(.badRequest, "\(name) must be \(range.lowerBound)…\(range.upperBound)")
    }
    return value
  }

  /// The `queue` parameter, checked, or `nil` when absent.
  static func queue(_ request: Request) throws -> String? {
    guard let queue = nonEmpty(try parameters(request)["queue"]) else { return nil }
    guard queue.utf8.count <= QueuePeekLimits.maximumQueueLength, !queue.utf8.contains(0) else {
      throw DashboardError(
        .badRequest, "queue must be at most \(QueuePeekLimits.maximumQueueLength) bytes")
    }
    return queue
  }

  /// A task id from the path, checked.
  static func taskID(_ context: some RequestContext) throws -> String {
    let id = try context.parameters.require("id")
    guard TaskIDCheck.isPlausible(id) else { throw DashboardError(.badRequest, "not a task id") }
    return id
  }

  /// A dead-letter id from the path, checked.
  static func deadLetterID(_ context: some RequestContext) throws -> String {
    let id = try context.parameters.require("id")
    guard DeadLetterLimits.isPlausible(id) else {
      throw DashboardError(.badRequest, "not a dead-letter id")
    }
    return id
  }

  /// The `{"ids": [...]}` body of a replay, each id checked.
  static func deadLetterIDs(_ request: Request, context: some RequestContext) async throws
    -> [String]
  {
    var request = request
    let body = try await request.collectBody(upTo: maximumBodySize)
    guard let value = try? JSONValue(parsing: Array(buffer: body)),
      let ids = value["ids"]?.arrayValue?.compactMap(\.stringValue), !ids.isEmpty,
      ids.count <= maximumIDs, ids.allSatisfy(DeadLetterLimits.isPlausible)
    else {
      throw DashboardError(
        .badRequest, "send {\"ids\": [...]} with 1…\(maximumIDs) dead-letter ids")
    }
    return ids
  }

  private static func parameters(_ request: Request) throws -> [String: String] {
    guard (request.uri.query?.utf8.count ?? 0) <= maximumQueryLength else {
      throw DashboardError(.badRequest, "the query string is longer than \(maximumQueryLength)")
    }
    var values: [String: String] = [:]
    for (key, value) in request.uri.queryParameters {
      values[String(key)] = String(value)
    }
    return values
  }

  private static func nonEmpty(_ text: String?) -> String? {
    guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
    return text
  }

  private static func date(_ text: String, name: String) throws -> Date {
    if let seconds = Double(text), seconds.isFinite,
      (ISO8601.earliest.timeIntervalSince1970...ISO8601.latest.timeIntervalSince1970).contains(
        seconds)
    {
      return Date(timeIntervalSince1970: seconds)
    }
    if let date = ISO8601.parse(text) { return date }
    throw DashboardError(.badRequest, "\(name) must be Unix seconds or an ISO 8601 time")
  }
}
