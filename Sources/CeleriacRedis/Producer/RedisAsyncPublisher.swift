import CeleriacCore
import Foundation
import NIOCore
import Synchronization

/// Publishes on Redis without blocking a thread: the commands go out on the client's NIO
/// connection, one pipeline per call, and concurrent callers share that connection (their
/// pipelines interleave on it, each answered in order).
///
/// The messages are Celery protocol 2, exactly as ``RedisBroker/publish(_:)`` writes them.
public final class RedisAsyncPublisher: AsyncTaskPublisher {
  /// The server and database of the queues.
  public let url: RedisURL
  private let client: RedisClient
  private let origin: String
  private let replyTo: String
  private let boundQueues = Mutex<Set<String>>([])

  /// A publisher on `url`; it connects on first use.
  ///
  /// - Parameter eventLoop: the loop its connection lives on (see ``RedisClient``); `nil`: a
  ///   thread of its own.
  public init(
    url: RedisURL, options: RedisConnectionOptions = .celeriac, eventLoop: (any EventLoop)? = nil
  ) {
    self.url = url
    self.client = RedisClient(url: url, options: options, eventLoop: eventLoop)
    let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init)
    self.origin = "gen\(getpid())@\(host ?? "localhost")"
    self.replyTo = UUID().lowercasedText
  }

  deinit {
    if client.canShutDownSynchronously { client.shutdownSync() }
  }

  /// The event loop its connections live on.
  public var eventLoop: any EventLoop { client.eventLoop }

  /// Enqueues `messages` in one pipeline, suspending until Redis has answered.
  ///
  /// - Throws: ``CeleriacError`` `.brokerUnavailable` when Redis cannot be reached or refuses.
  public func publish(_ messages: [TaskMessage]) async throws {
    guard !messages.isEmpty else { return }
    let plan = try RedisPublishCommands(
      messages, origin: origin, replyTo: replyTo, bound: boundQueues.withLock { $0 })
    do {
      try RedisFailure.check(try await client.pipeline(plan.commands))
    } catch {
      throw RedisFailure.wrap(
        error, .brokerUnavailable, role: "broker", url: url, operation: "publish")
    }
    if !plan.newlyBound.isEmpty {
      boundQueues.withLock { $0.formUnion(plan.newlyBound) }
    }
  }

  /// Closes the connection (and stops the event loop thread, if it is the publisher's own).
  public func close() async {
    await client.shutdown()
  }
}
