import Testing

@testable import CeleriacWorker

@Suite("RecentTaskIDs")
struct RecentTaskIDsTests {
  @Test("keeps the newest ids in order, each once", arguments: [1, 3, 10])
  func boundedAndOrdered(_ capacity: Int) {
    var ids = RecentTaskIDs(capacity: capacity)
    for number in 0..<(capacity * 5) {
      ids.insert("id-\(number)")
      ids.insert("id-\(number)")
    }
    let expected = ((capacity * 4)..<(capacity * 5)).map { "id-\($0)" }
    #expect(ids.ids == expected)
  }

  @Test("a repeated id stays where it first came")
  func repeats() {
    var ids = RecentTaskIDs(capacity: 5)
    for id in ["a", "b", "a", "c"] { ids.insert(id) }
    #expect(ids.ids == ["a", "b", "c"])
  }
}
