/// A broker whose workers' events (``WorkerEvent``, sent with `-E`) can be followed live, for
/// `celeriac events` and other monitors.
public protocol EventSubscribing: Broker {
  /// Starts following the events every worker on this broker sends from now on.
  func subscribeEvents() throws -> any EventSubscription
}

/// A live feed of worker events, read by one caller.
public protocol EventSubscription: AnyObject {
  /// The events that arrived since the last call, waiting up to `timeout` for the first one;
  /// empty when none came.
  func next(timeout: Duration) throws -> [WorkerEvent]

  /// Stops following (closes the subscription's connection).
  func close()
}
