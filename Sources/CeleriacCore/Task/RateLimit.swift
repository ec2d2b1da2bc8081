/// A task's rate limit in Celery's notation: `"10/s"`, `"100/m"`, `"1000/h"`, or a bare number
/// (per second). Per worker, as in Celery: each supervisor starts at most that many tasks of
/// the name per unit of time, evenly spaced.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
  /// The most tasks per second a rate may allow.
  public static let maximumPerSecond: Double = 1_000_000
  /// The fewest tasks per second a rate may allow: one a year (so that a start slot, and the
  /// ETA a deferred task is sent back with, stays within reach).
  public static let minimumPerSecond: Double = 1.0 / 31_536_000

  /// Tasks per second.
  public let perSecond: Double
  /// The text it was read from.
  public let description: String

  /// Reads Celery's notation.
  ///
  /// - Throws: ``CeleriacError`` `.invalidArguments` naming the text when it is not a positive
  ///   number of tasks per `s`, `m` or `h` within ``minimumPerSecond`` … ``maximumPerSecond``.
  public init(_ text: String) throws(CeleriacError) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    let seconds: Double
    switch parts.count == 2 ? parts[1].lowercased() : "s" {
    case "s": seconds = 1
    case "m": seconds = 60
    case "h": seconds = 3_600
    default:
      throw CeleriacError(
        .invalidArguments, "rate limit '\(text)': the unit must be s, m or h (e.g. 10/s)")
    }
    guard parts.count <= 2, let count = Double(parts[0]), count.isFinite, count > 0,
      count / seconds <= Self.maximumPerSecond, count / seconds >= Self.minimumPerSecond
    else {
      throw CeleriacError(
        .invalidArguments,
        "rate limit '\(text)' must be a positive number of tasks per s, m or h (at most \(Int(Self.maximumPerSecond))/s, at least one a year)"
      )
    }
    perSecond = count / seconds
    description = text
  }

  /// The spacing between two starts.
  public var interval: Double { 1 / perSecond }
}
