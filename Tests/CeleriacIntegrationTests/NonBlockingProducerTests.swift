import Celeriac
import CeleriacRedis
import CeleriacSQLite
import CeleriacTestSupport
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import Celeriac

/// The broker a producer test runs on: a real SQLite file, or a real redis-server.
enum ProducerBroker: String, CaseIterable, CustomTestStringConvertible, Sendable {
  case sqlite, redis

  var testDescription: String { rawValue }
}

/// An app on a fresh broker of `kind`, with what keeps that broker alive.
final class ProducerFixture: @unchecked Sendable {
  let app: CeleriacApp
  private let sandbox: Sandbox
  private let redis: RedisTestServer?

  init(_ kind: ProducerBroker, eventLoopGroup: (any EventLoopGroup)? = nil) async throws {
    sandbox = try Sandbox()
    switch kind {
    case .sqlite:
      redis = nil
      app = CeleriacApp(
        configuration: CeleriacConfiguration(brokerURL: sandbox.brokerURL),
        eventLoopGroup: eventLoopGroup)
    case .redis:
      let server = try await RedisTestServer.started(directory: sandbox.directory)
      redis = server
      app = CeleriacApp(
        configuration: CeleriacConfiguration(brokerURL: server.url(0), backendURL: server.url(1)),
        eventLoopGroup: eventLoopGroup)
    }
  }

  /// Stores a SUCCESS record for each task, from a thread outside the cooperative pool (as a
  /// worker in another process would).
  func complete(_ handles: [AsyncResult], values: [JSONValue]) async throws {
    let backend = try app.connection().backend
    let records = zip(handles, values).map { handle, value in
      TaskResultRecord(taskID: handle.id, state: .success, result: value)
    }
    try await BlockingExecutor(label: "test.worker").run {
      try backend.store(records, expiresIn: .seconds(600))
    }
  }

  /// How many result waits are still registered with the broker: waits of the SQLite watcher,
  /// or Redis connections subscribed to a result channel.
  func openWaits(for taskIDs: [String]) throws -> Int {
    if let redis {
      return try redis.subscriberCounts(taskIDs.map { "celery-task-meta-\($0)" }).reduce(0, +)
    }
    let reader = try app.producerChannels().results as? SQLiteAsyncResultReader
    return reader?.pendingWaits ?? 0
  }

  /// How many connections to Redis are subscribed to some channel (`nil` on SQLite).
  func subscribedConnections() throws -> Int? {
    try redis?.subscribedClients()
  }
}

/// What happened first, for the concurrency test.
private final class EventLog: Sendable {
  private let events = Mutex<[String]>([])
  func record(_ event: String) { events.withLock { $0.append(event) } }
  var all: [String] { events.withLock { $0 } }
}

/// `send`, `sendBatch` and `get` must leave the threads of Swift's cooperative pool free: a
/// blocked thread would starve other work of the process (a web server's request handlers).
@Suite("Non-blocking producer", .serialized, .machineSlot)
struct NonBlockingProducerTests {
  /// Waits that are not done yet.
  static let waitingGets = 300
  /// Concurrent sends.
  static let concurrentSends = 1_000

  @Test(
    "hundreds of waiting get(timeout:) leave the pool free: another task completes first",
    arguments: ProducerBroker.allCases)
  func waitingGetsLeaveThePoolFree(_ kind: ProducerBroker) async throws {
    let fixture = try await ProducerFixture(kind)
    let app = fixture.app
    let handles = try await app.sendBatch(
      (0..<Self.waitingGets).map { app.makeMessage("tasks.echo", args: [.int(Int64($0))]) })
    let log = EventLog()
    let clock = ContinuousClock()
    let started = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
      for (index, handle) in handles.enumerated() {
        group.addTask {
          let value = try await handle.get(timeout: .seconds(30))
          log.record("get")
          #expect(value == .int(Int64(index)))
        }
      }
      // Until every get waits (subscribed, on Redis): they need the pool to get there, too.
      let ids = handles.map(\.id)
      #expect(
        try await waitUntil(timeout: .seconds(30), every: .milliseconds(20)) {
          try fixture.openWaits(for: ids) == Self.waitingGets
        })
      // All the waits of the producer share one subscribed connection.
      if kind == .redis { #expect(try fixture.subscribedConnections() == 1) }
      // Work that needs nothing but a cooperative thread.
      let probeStart = clock.now
      let probe = Task {
        var sum = 0
        for value in 0..<10_000 { sum &+= value }
        return sum
      }
      #expect(await probe.value == 49_995_000)
      let probeLatency = clock.now - probeStart
      log.record("probe")
      #expect(log.all.first == "probe", "a get returned before the probe ran")
      let completedAt = clock.now
      try await fixture.complete(handles, values: (0..<Self.waitingGets).map { .int(Int64($0)) })
      try await group.waitForAll()
      let drained = clock.now - completedAt
      print(
        "[\(kind)] \(Self.waitingGets) waiting gets: probe ran in \(probeLatency),"
          + " all gets returned \(drained) after the results were stored,"
          + " \(clock.now - started) in all")
    }
    #expect(log.all.count == Self.waitingGets + 1)
    #expect(log.all.first == "probe")
  }

  @Test("a thousand concurrent sends are all enqueued", arguments: ProducerBroker.allCases)
  func thousandConcurrentSends(_ kind: ProducerBroker) async throws {
    let fixture = try await ProducerFixture(kind)
    let app = fixture.app
    let clock = ContinuousClock()
    let started = clock.now
    let ids = try await withThrowingTaskGroup(of: String.self) { group in
      for index in 0..<Self.concurrentSends {
        group.addTask { try await app.send("tasks.echo", args: [.int(Int64(index))]).id }
      }
      var ids: Set<String> = []
      for try await id in group { ids.insert(id) }
      return ids
    }
    let elapsed = clock.now - started
    print("[\(kind)] \(Self.concurrentSends) concurrent sends in \(elapsed)")
    #expect(ids.count == Self.concurrentSends)
    let depths = try app.connection().broker.depths(of: ["celery"])
    #expect(depths["celery"] == Self.concurrentSends)
  }

  @Test(
    "cancelling a waiting get returns CancellationError and leaves nothing subscribed",
    arguments: ProducerBroker.allCases)
  func cancellingAWaitingGet(_ kind: ProducerBroker) async throws {
    let fixture = try await ProducerFixture(kind)
    let handle = try await fixture.app.send("tasks.echo", args: [1])
    let waiting = Task { try await handle.get(timeout: .seconds(60)) }
    let clock = ContinuousClock()
    // Until the wait is registered (subscribed, on Redis).
    _ = try await waitUntil(timeout: .seconds(10), every: .milliseconds(10)) {
      try fixture.openWaits(for: [handle.id]) != 0
    }
    #expect(try fixture.openWaits(for: [handle.id]) == 1)
    let cancelledAt = clock.now
    waiting.cancel()
    await #expect(throws: CancellationError.self) { try await waiting.value }
    let latency = clock.now - cancelledAt
    print("[\(kind)] cancelled get returned in \(latency)")
    #expect(latency < .seconds(5))
    _ = try await waitUntil(timeout: .seconds(5), every: .milliseconds(10)) {
      try fixture.openWaits(for: [handle.id]) == 0
    }
    #expect(try fixture.openWaits(for: [handle.id]) == 0)
  }

  @Test("state() and get() through the async readers", arguments: ProducerBroker.allCases)
  func stateAndGet(_ kind: ProducerBroker) async throws {
    let fixture = try await ProducerFixture(kind)
    let handle = try await fixture.app.send("tasks.echo", args: [7])
    #expect(try await handle.state() == .pending)
    await #expect(throws: CeleriacError.self) { try await handle.get(timeout: .milliseconds(50)) }
    try await fixture.complete([handle], values: [7])
    #expect(try await handle.state() == .success)
    #expect(try await fixture.app.result(for: handle.id).get(timeout: .seconds(5)) == 7)
    await fixture.app.shutdown()
  }

  @Test(
    "an app given an event loop group keeps its Redis producer on one loop of it and leaves the group running at shutdown"
  )
  func producerOnAGivenEventLoopGroup() async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let fixture = try await ProducerFixture(.redis, eventLoopGroup: group)
    let app = fixture.app
    let handles = try await withThrowingTaskGroup(of: AsyncResult.self) { tasks in
      for index in 0..<50 {
        tasks.addTask { try await app.send("tasks.echo", args: [.int(Int64(index))]) }
      }
      var handles: [AsyncResult] = []
      for try await handle in tasks { handles.append(handle) }
      return handles
    }
    let values = handles.map { _ in JSONValue.int(Int64.random(in: 0..<1_000)) }
    try await fixture.complete(handles, values: values)
    for (handle, value) in zip(handles, values) {
      #expect(try await handle.get(timeout: .seconds(10)) == value)
    }
    // The publisher and the reader share one loop, and it is one of the group's.
    let channels = try app.producerChannels()
    let publisher = try #require(channels.publisher as? RedisAsyncPublisher)
    let reader = try #require(channels.results as? RedisAsyncResultReader)
    #expect(publisher.eventLoop === reader.eventLoop)
    #expect(group.makeIterator().contains { $0 === publisher.eventLoop })
    await app.shutdown()
    // The group is the caller's: still running after the app let go of its connections.
    #expect(try await group.next().submit { 42 }.get() == 42)
    try await group.shutdownGracefully()
  }
}
