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

  /// Reads a sample written by ``json`` (as the broker kept it); `nil` for anything else.
  init?(json: JSONValue) {
    func counts(_ value: JSONValue?) -> [String: Int]? {
      guard case .object(let fields)? = value else { return nil }
      return fields.compactMapValues { $0.intValue.map { Int(clamping: $0) } }
    }
    guard let time = json["time"]?.doubleValue, time.isFinite, let depths = counts(json["depths"]),
      let busy = counts(json["busy"]), let children = counts(json["children"]),
      let workers = json["workers"]?.intValue
    else { return nil }
    self.init(
      time: time, depths: depths, busy: busy, children: children, workers: Int(clamping: workers))
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
