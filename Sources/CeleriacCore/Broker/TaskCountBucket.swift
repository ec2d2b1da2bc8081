/// How many tasks reached each state in one interval of time.
public struct TaskCountBucket: Sendable, Equatable {
  /// The interval's start, Unix seconds.
  public var start: Double
  /// Counts by state name.
  public var counts: [String: Int]

  /// Creates a bucket.
  public init(start: Double, counts: [String: Int]) {
    self.start = start
    self.counts = counts
  }
}
