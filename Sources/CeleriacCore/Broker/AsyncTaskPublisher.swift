/// The producer's non-blocking way to enqueue messages: it suspends the calling task for the
/// broker's I/O and never holds a thread of Swift's cooperative pool while it waits.
///
/// A web server's request handlers call it concurrently; implementations share their
/// connections between those callers (pipelining on Redis, one writer thread on SQLite).
public protocol AsyncTaskPublisher: Sendable {
  /// Enqueues messages on their queues (or their delayed sets when their ETA is later).
  func publish(_ messages: [TaskMessage]) async throws

  /// Closes the publisher's connections; later calls fail.
  func close() async
}
