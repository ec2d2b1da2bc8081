import CeleriacCore

extension RedisBroker: SampleHistoryStoring {
  /// `RPUSH` then `LTRIM` to the newest `limit`, in one `MULTI`.
  public func appendSample(_ json: String, keeping limit: Int) throws {
    guard json.utf8.count <= SampleHistoryLimits.maximumLength else {
      throw CeleriacError(.invalidArguments, "a sample is longer than 64 KiB")
    }
    let kept = min(max(limit, 1), SampleHistoryLimits.maximumKept)
    let commands: [[any RESPArgument]] = [
      ["MULTI"], ["RPUSH", RedisKeys.samples, json], ["LTRIM", RedisKeys.samples, -kept, -1],
      ["EXEC"],
    ]
    try perform("store sample") { try RedisFailure.check(client.pipelineSync(commands)) }
  }

  /// `LRANGE` of the newest `limit`, oldest first.
  public func recentSamples(limit: Int) throws -> [String] {
    let count = min(max(limit, 0), SampleHistoryLimits.maximumKept)
    guard count > 0 else { return [] }
    let reply = try perform("read samples") {
      try client.sendSync(["LRANGE", RedisKeys.samples, -count, -1]).checked()
    }
    return (reply.array ?? []).compactMap(\.string)
  }
}
