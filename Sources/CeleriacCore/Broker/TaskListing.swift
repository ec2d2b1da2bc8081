import Foundation

/// A result backend whose stored records can be listed and counted (the dashboard's task list
/// and charts): newest first, filtered, bounded, one page at a time.
public protocol TaskListing: ResultBackend {
  /// One page of the records that match `query`, newest first.
  func tasks(matching query: TaskQuery) throws -> TaskPage

  /// How many tasks reached each state, per `bucket` of `dateDone`, from `since` to now.
  func taskCounts(since: Date, bucket: Duration) throws -> [TaskCountBucket]
}

/// What a task listing asks for. Every field is checked by ``validationProblem`` before a
/// backend reads anything.
public struct TaskQuery: Sendable, Equatable {
  /// How many records one page holds by default.
  public static let defaultLimit = 50
  /// The most records one page holds.
  public static let maximumLimit = 500
  /// The longest name or queue filter accepted.
  public static let maximumFilterLength = 200

  /// Only records in this state.
  public var state: TaskState?
  /// Only records whose task name contains this text.
  public var name: String?
  /// Only records of tasks from this queue.
  public var queue: String?
  /// Only records stored at or after this time.
  public var since: Date?
  /// Only records stored before this time.
  public var until: Date?
  /// How many records at most (1…``maximumLimit``).
  public var limit: Int
  /// Where the page starts: the ``TaskPage/nextCursor`` of the page before.
  public var cursor: TaskCursor?

  /// Creates a query.
  public init(
    state: TaskState? = nil, name: String? = nil, queue: String? = nil, since: Date? = nil,
    until: Date? = nil, limit: Int = TaskQuery.defaultLimit, cursor: TaskCursor? = nil
  ) {
    self.state = state
    self.name = name
    self.queue = queue
    self.since = since
    self.until = until
    self.limit = limit
    self.cursor = cursor
  }

  /// Why the query cannot be run, or `nil` when it can.
  public var validationProblem: String? {
    guard (1...Self.maximumLimit).contains(limit) else {
      return "limit must be 1…\(Self.maximumLimit)"
    }
    for (field, value) in [("name", name), ("queue", queue)] {
      if let value, value.utf8.count > Self.maximumFilterLength || value.utf8.contains(0) {
        return "\(field) must be at most \(Self.maximumFilterLength) bytes"
      }
    }
    if let state, state.rawValue.isEmpty || state.rawValue.utf8.count > 32 {
      return "state must be a task state such as SUCCESS"
    }
    for (field, date) in [("since", since), ("until", until)] {
      if let date,
        !date.timeIntervalSince1970.isFinite || date < ISO8601.earliest
          || date > ISO8601.latest
      {
        return "\(field) is out of range"
      }
    }
    return nil
  }

  /// Whether `record` passes the filters (not the cursor).
  public func matches(_ record: TaskResultRecord) -> Bool {
    if let state, record.state != state { return false }
    if let name, !name.isEmpty, !(record.name ?? "").contains(name) { return false }
    if let queue, !queue.isEmpty, record.queue != queue { return false }
    if let since, record.dateDone < since { return false }
    if let until, record.dateDone >= until { return false }
    return true
  }
}

/// A position in a listing: the time and id of the last record of the page before (records are
/// ordered by time, then id, both descending).
public struct TaskCursor: Sendable, Equatable {
  /// The last record's `dateDone`, as Unix seconds.
  public var time: Double
  /// The last record's task id.
  public var taskID: String

  /// Creates a cursor.
  public init(time: Double, taskID: String) {
    self.time = time
    self.taskID = taskID
  }

  /// Reads a cursor written by ``description`` (`<seconds>_<id>`); `nil` for anything else.
  public init?(_ text: String) {
    guard text.utf8.count <= 200, let separator = text.firstIndex(of: "_") else { return nil }
    guard let time = Double(text[..<separator]), time.isFinite else { return nil }
    let id = String(text[text.index(after: separator)...])
    guard !id.isEmpty, TaskIDCheck.isPlausible(id) else { return nil }
    self.init(time: time, taskID: id)
  }

  /// The cursor as text for a URL: `<seconds>_<id>`.
  public var description: String { "\(time)_\(taskID)" }

  /// Whether a record at (`time`, `id`) comes after this cursor in a listing.
  public func precedes(time: Double, id: String) -> Bool {
    time < self.time || (time == self.time && id < taskID)
  }
}

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

/// Whether a task id from outside may name a task: 1…200 bytes of printable ASCII without
/// spaces (UUIDs, beat's ids and Celery's custom ids all fit).
public enum TaskIDCheck {
  /// The longest task id accepted from outside.
  public static let maximumLength = 200

  /// Whether `id` is a plausible task id.
  public static func isPlausible(_ id: String) -> Bool {
    !id.isEmpty && id.utf8.count <= maximumLength && id.utf8.allSatisfy { $0 > 32 && $0 < 127 }
  }
}
