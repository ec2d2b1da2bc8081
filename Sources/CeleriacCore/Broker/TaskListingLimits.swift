import Foundation

/// Bounds shared by the backends' listings.
public enum TaskListingLimits {
  /// The most result keys a Redis listing or count scans.
  public static let maximumScanned = 20_000
  /// The most buckets one count returns.
  public static let maximumBuckets = 1_000
  /// The shortest bucket accepted.
  public static let minimumBucket: Duration = .seconds(1)

  /// The buckets' starts from `since` to `now` by `bucket`, or `nil` when there would be more
  /// than ``maximumBuckets`` or the bucket is shorter than ``minimumBucket``.
  public static func bucketStarts(since: Date, now: Date, bucket: Duration) -> [Double]? {
    let width = bucket.seconds
    guard width >= minimumBucket.seconds, width.isFinite, since <= now else { return nil }
    let first = (since.timeIntervalSince1970 / width).rounded(.down) * width
    let count = Int(((now.timeIntervalSince1970 - first) / width).rounded(.down)) + 1
    guard count <= maximumBuckets else { return nil }
    return (0..<count).map { first + Double($0) * width }
  }
}
