import Celeriac
import Foundation

/// Samples queue depths and pool sizes every interval into a bounded history, kept in the
/// broker too (``SampleHistoryStoring``) so that it survives a restart of the dashboard; the
/// charts' throughput and failures come from the result backend.
public actor DashboardSampler {
  private let store: DashboardStore
  private let capacity: Int
  private var samples: [DashboardSample] = []
  private var restored = false
  private var lastKept: DashboardSample?

  /// The longest time between two samples kept in the broker while nothing changes (an
  /// unchanged sample is not written sooner: on SQLite every write wakes the idle workers).
  public static let unchangedKeepInterval: Double = 30

  /// A sampler keeping at most `capacity` samples.
  public init(store: DashboardStore, capacity: Int) {
    self.store = store
    self.capacity = max(1, capacity)
  }

  /// The samples, oldest first.
  public var history: [DashboardSample] { samples }

  /// Loads the samples the broker kept (once; later calls do nothing).
  public func restore() async throws {
    guard !restored else { return }
    restored = true
    let kept = try await store.keptSamples(limit: capacity).compactMap { text in
      (try? JSONValue(parsing: text)).flatMap(DashboardSample.init(json:))
    }
    samples = Array((kept + samples).suffix(capacity))
    lastKept = kept.last
  }

  /// Takes one sample now and keeps it, here and in the broker; returns it.
  @discardableResult
  public func sample() async throws -> DashboardSample {
    let workers = try await store.workers()
    var queues = Set(["celery"])
    var busy: [String: Int] = [:]
    var children: [String: Int] = [:]
    for worker in workers {
      for pool in worker.pools {
        queues.formUnion(pool.queues)
        busy[pool.name, default: 0] += pool.busy
        children[pool.name, default: 0] += pool.busy + pool.idle
      }
    }
    let depths = try await store.depths(of: Array(queues))
    let sample = DashboardSample(
      time: Date().timeIntervalSince1970, depths: depths, busy: busy, children: children,
      workers: workers.count)
    samples.append(sample)
    if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
    if let last = lastKept, last.depths == sample.depths, last.busy == sample.busy,
      last.children == sample.children, last.workers == sample.workers,
      sample.time - last.time < Self.unchangedKeepInterval
    {
      return sample
    }
    try await store.keep(JSONWriter.string(sample.json), limit: capacity)
    lastKept = sample
    return sample
  }

  /// Samples every `interval` until the task is cancelled; a failed sample (the broker is
  /// away) is skipped.
  public func run(every interval: Duration) async {
    try? await restore()
    while !Task.isCancelled {
      _ = try? await sample()
      try? await Task.sleep(for: interval)
    }
  }
}
