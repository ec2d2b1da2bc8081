/// A broker that keeps a bounded series of samples (JSON texts, oldest dropped first), so that
/// what a dashboard sampled — queue depths, pool sizes — outlives the dashboard process.
public protocol SampleHistoryStoring: Broker {
  /// Appends one sample and drops all but the newest `limit`.
  func appendSample(_ json: String, keeping limit: Int) throws

  /// The newest `limit` samples, oldest first.
  func recentSamples(limit: Int) throws -> [String]
}

/// Bounds on the stored samples, shared by both brokers.
public enum SampleHistoryLimits {
  /// The most samples kept.
  public static let maximumKept = 100_000
  /// The longest sample accepted.
  public static let maximumLength = 64 * 1024
}
