import Celeriac
import Foundation

/// The queues and pools at one moment, for the overview's charts.
public struct DashboardSample: Sendable, Equatable {
  /// When it was taken, Unix seconds.
  public var time: Double
  /// Tasks waiting, by queue.
  public var depths: [String: Int]
  /// Busy children, by pool (summed over workers).
  public var busy: [String: Int]
  /// Children in each pool (busy and idle, summed over workers).
  public var children: [String: Int]
  /// Live workers.
  public var workers: Int

  /// Creates a sample.
  public init(
    time: Double, depths: [String: Int], busy: [String: Int], children: [String: Int],
    workers: Int
  ) {
    self.time = time
    self.depths = depths
    self.busy = busy
    self.children = children
    self.workers = workers
  }

  /// The sample as JSON for the page.
  var json: JSONValue {
    func counts(_ values: [String: Int]) -> JSONValue {
      .object(values.mapValues { .int(Int64($0)) })
    }
    return .object([
      "time": .double(time), "depths": counts(depths), "busy": counts(busy),
      "children": counts(children), "workers": .int(Int64(workers)),
    ])
  }
}
