/// One page of a listing.
public struct TaskPage: Sendable, Equatable {
  /// The records, newest first.
  public var records: [TaskResultRecord]
  /// Where the next page starts, or `nil` when this is the last.
  public var nextCursor: TaskCursor?
  /// Whether the backend could only look at part of what it holds (Redis scans at most
  /// ``TaskListingLimits/maximumScanned`` keys).
  public var isPartial: Bool

  /// Creates a page.
  public init(records: [TaskResultRecord], nextCursor: TaskCursor?, isPartial: Bool = false) {
    self.records = records
    self.nextCursor = nextCursor
    self.isPartial = isPartial
  }
}
