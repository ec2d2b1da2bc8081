import CeleriacCore

/// The non-blocking form of any ``Broker`` without one of its own: each publish runs the
/// broker's blocking call on a dedicated queue while the caller suspends.
public final class OffloadedPublisher: AsyncTaskPublisher {
  /// The wrapped broker.
  public let broker: any Broker
  private let executor = BlockingExecutor(label: "celeriac.offloaded.publish")

  /// Wraps `broker`.
  public init(broker: any Broker) {
    self.broker = broker
  }

  /// Runs ``Broker/publish(_:)`` on the publisher's queue.
  public func publish(_ messages: [TaskMessage]) async throws {
    let broker = self.broker
    try await executor.run { try broker.publish(messages) }
  }

  /// Nothing to close: the broker belongs to its owner.
  public func close() async {}
}
