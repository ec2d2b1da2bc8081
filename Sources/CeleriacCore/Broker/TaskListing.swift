import Foundation

/// A result backend whose stored records can be listed and counted (the dashboard's task list
/// and charts): newest first, filtered, bounded, one page at a time.
public protocol TaskListing: ResultBackend {
  /// One page of the records that match `query`, newest first.
  func tasks(matching query: TaskQuery) throws -> TaskPage

  /// How many tasks reached each state, per `bucket` of `dateDone`, from `since` to now.
  func taskCounts(since: Date, bucket: Duration) throws -> [TaskCountBucket]
}
