import CeleriacRedis
import NIOCore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Prints round-trip and pipeline rates against a local server. Informational only: no
/// assertion on time (timed assertions do not belong in unit tests).
@Suite("Redis client throughput (printed, not asserted)", .serialized)
struct RedisThroughputTests {
  static func seconds(since start: timespec) -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9
  }

  static func now() -> timespec {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now
  }

  @Test("sequential LPUSH round trips and pipelined LPUSH")
  func throughput() async throws {
    try await withServer { _, client in
      let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: 600)  // ~ a Celery message
      _ = try client.sendSync(["PING"])

      let sequential = 10_000
      var start = Self.now()
      for _ in 0..<sequential {
        _ = try client.sendSync(["LPUSH", "bench", payload])
      }
      let syncRate = Double(sequential) / Self.seconds(since: start)

      start = Self.now()
      for _ in 0..<sequential {
        _ = try await client.send(["LPUSH", "bench", payload])
      }
      let asyncRate = Double(sequential) / Self.seconds(since: start)

      let batch: [[any RESPArgument]] = Array(repeating: ["LPUSH", "bench", payload], count: 1_000)
      let batches = 50
      start = Self.now()
      for _ in 0..<batches {
        let replies = try client.pipelineSync(batch)
        #expect(replies.count == 1_000)
      }
      let pipelinedRate = Double(batches * 1_000) / Self.seconds(since: start)
      #expect(try client.sendSync(["LLEN", "bench"]).int == 2 * sequential + batches * 1_000)
      print(
        "CeleriacRedis throughput: sync sequential \(Int(syncRate))/s, "
          + "async sequential \(Int(asyncRate))/s, pipelined (1,000 per batch) "
          + "\(Int(pipelinedRate))/s")
    }
  }
}
