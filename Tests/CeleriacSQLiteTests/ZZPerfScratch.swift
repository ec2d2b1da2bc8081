import CeleriacCore
import CeleriacSQLite
import Foundation
import Testing

@Test func perfScratch() throws {
  let dir = NSTemporaryDirectory() + "perf-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: dir) }
  let store = try SQLiteStore(path: dir + "/p.db")
  let broker = SQLiteBroker(store: store)
  let backend = SQLiteResultBackend(store: store)
  let n = 20_000
  let msgs = (0..<n).map { TaskMessage(name: "tasks.noop", args: [.int(Int64($0))]) }
  let clock = ContinuousClock()
  var t = clock.now
  try broker.publish(msgs)
  print("PERF publish batch \(n): \(clock.now - t)")
  t = clock.now
  for m in msgs.prefix(2000) { try broker.publish([m]) }
  print("PERF publish single 2000: \(clock.now - t)")
  let c = ConsumerIdentity(id: "w")
  t = clock.now
  var count = 0
  while true {
    let b = try broker.claim(from: ["celery"], limit: 1, consumer: c)
    if b.deliveries.isEmpty { break }
    count += 1
    try broker.acknowledge(b.deliveries.map(\.tag))
    try backend.store(b.deliveries.map { TaskResultRecord(taskID: $0.message.id, state: .success) }, expiresIn: .seconds(3600))
  }
  print("PERF claim1+ack+store \(count): \(clock.now - t)")
  t = clock.now
  for _ in 0..<5000 { _ = try broker.depths(of: ["celery", "x"]) }
  print("PERF depths 5000: \(clock.now - t)")
}
