import CeleriacCore
import CeleriacRedis
import CeleriacSQLite
import NIOCore

/// The non-blocking halves of an app's ``Connection``: where `send` publishes and where
/// `AsyncResult` reads, each chosen for the kind of broker and backend.
///
/// - SQLite: the connection's own broker and backend, driven from their own threads
///   (``SQLiteAsyncPublisher``, ``SQLiteAsyncResultReader``).
/// - Redis: NIO connections of their own, shared by every concurrent caller and pipelined
///   (``RedisAsyncPublisher``, ``RedisAsyncResultReader``), both on one loop of the app's
///   event loop group when it has one; the connection's blocking sockets stay free for
///   synchronous callers.
/// - Anything else: the blocking call on a dedicated queue (``OffloadedPublisher``,
///   ``OffloadedResultReader``).
public struct ProducerChannels: Sendable {
  /// Where messages are published.
  public let publisher: any AsyncTaskPublisher
  /// Where results are read.
  public let results: any AsyncResultReader

  /// Pairs a publisher with a reader.
  public init(publisher: any AsyncTaskPublisher, results: any AsyncResultReader) {
    self.publisher = publisher
    self.results = results
  }

  /// The channels for `connection`'s broker and backend; Redis connections go on one loop of
  /// `eventLoopGroup` (`nil`: a thread of their own each).
  public init(for connection: Connection, eventLoopGroup: (any EventLoopGroup)? = nil) {
    let loop = eventLoopGroup?.any()
    switch connection.broker {
    case let broker as SQLiteBroker: publisher = SQLiteAsyncPublisher(broker: broker)
    case let broker as RedisBroker:
      publisher = RedisAsyncPublisher(url: broker.url, eventLoop: loop)
    default: publisher = OffloadedPublisher(broker: connection.broker)
    }
    switch connection.backend {
    case let backend as SQLiteResultBackend: results = SQLiteAsyncResultReader(backend: backend)
    case let backend as RedisResultBackend:
      results = RedisAsyncResultReader(url: backend.url, eventLoop: loop)
    default: results = OffloadedResultReader(backend: connection.backend)
    }
  }

  /// Closes both channels.
  public func close() async {
    await publisher.close()
    await results.close()
  }
}
