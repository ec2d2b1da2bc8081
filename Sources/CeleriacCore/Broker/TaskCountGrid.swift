import Foundation

/// The buckets of a ``TaskListing/taskCounts(since:bucket:)`` answer, from `since` to now,
/// filled as a backend counts its records.
public struct TaskCountGrid: Sendable {
  /// The first bucket's start, as Unix seconds.
  public let first: Double
  /// Each bucket's width in seconds.
  public let width: Double
  /// The buckets, oldest first.
  public private(set) var buckets: [TaskCountBucket]

  /// Empty buckets of `bucket` from `since` to `now`.
  ///
  /// - Throws: ``CeleriacError/Code/invalidArguments`` when there would be more than
  ///   ``TaskListingLimits/maximumBuckets`` or the bucket is too short.
  public init(since: Date, bucket: Duration, now: Date = Date()) throws {
    guard let starts = TaskListingLimits.bucketStarts(since: since, now: now, bucket: bucket)
    else {
      throw CeleriacError(.invalidArguments, "task counts: too many or too short buckets")
    }
    width = bucket.seconds
    first = starts.first ?? since.timeIntervalSince1970
    buckets = starts.map { TaskCountBucket(start: $0, counts: [:]) }
  }

  /// Adds `count` records in `state` to bucket number `slot`; a slot outside the grid is
  /// ignored.
  public mutating func add(_ count: Int, state: String, slot: Int) {
    guard buckets.indices.contains(slot) else { return }
    buckets[slot].counts[state, default: 0] += count
  }
}
