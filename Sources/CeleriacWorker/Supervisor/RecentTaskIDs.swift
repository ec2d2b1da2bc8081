/// The newest task ids seen for some reason (revoked ones, for `inspect revoked`), oldest
/// forgotten first once ``capacity`` is reached: a flood of revokes cannot grow it.
struct RecentTaskIDs {
  /// How many ids are kept by default (Celery keeps 50 000 revoked ids; these are only shown).
  static let defaultCapacity = 10_000

  private let capacity: Int
  private var order: [String] = []
  private var members: Set<String> = []
  private var start = 0

  init(capacity: Int = RecentTaskIDs.defaultCapacity) {
    self.capacity = max(1, capacity)
  }

  /// Remembers `id` (again, it stays where it was).
  mutating func insert(_ id: String) {
    guard members.insert(id).inserted else { return }
    order.append(id)
    if members.count > capacity {
      members.remove(order[start])
      start += 1
      if start > capacity {
        order.removeFirst(start)
        start = 0
      }
    }
  }

  /// The ids kept, oldest first.
  var ids: [String] { Array(order[start...]) }
}
