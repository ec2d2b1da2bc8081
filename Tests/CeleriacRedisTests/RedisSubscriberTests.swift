import CeleriacCore
import CeleriacRedis
import CeleriacTestSupport
import NIOCore
import Testing

/// Runs `body` with a server, a client and a subscriber on the client's event loop; closes
/// the subscriber afterwards.
private func withSubscriber(
  _ body: (RedisTestServer, RedisClient, RedisSubscriber) async throws -> Void
) async throws {
  try await withServer { server, client in
    let subscriber = RedisSubscriber(
      url: try RedisURL(server.url()), options: RedisConnectionOptions(),
      eventLoop: client.eventLoop)
    try await body(server, client, subscriber)
    try await subscriber.close().get()
  }
}

@Suite("RedisSubscriber: one connection for many listeners", .serialized)
struct RedisSubscriberTests {
  @Test("every listener of a channel gets each message; many channels share one connection")
  func listenersShareOneConnection() async throws {
    try await withSubscriber { server, client, subscriber in
      let channels = (0..<50).map { "channel-\($0)" }
      var listeners: [RedisChannelListener] = []
      for channel in channels { listeners.append(try await subscriber.listen(to: channel).get()) }
      let second = try await subscriber.listen(to: "channel-7").get()
      #expect(try server.subscribedClients() == 1)
      #expect(try server.subscriberCounts(["channel-0", "channel-7", "channel-49"]) == [1, 1, 1])
      #expect(try await client.send(["PUBLISH", "channel-7", "hello"]).int == 1)
      let timeout = TimeAmount.seconds(5)
      #expect(try await listeners[7].nextMessage(timeout: timeout) == ByteBuffer(string: "hello"))
      #expect(try await second.nextMessage(timeout: timeout) == ByteBuffer(string: "hello"))
      // Messages of other channels do not reach a listener.
      _ = try await client.send(["PUBLISH", "channel-8", "other"])
      _ = try await client.send(["PUBLISH", "channel-7", "again"])
      #expect(try await second.nextMessage(timeout: timeout) == ByteBuffer(string: "again"))
      for listener in listeners { listener.close() }
      second.close()
    }
  }

  @Test("the last listener to close unsubscribes its channel; one still listening keeps it")
  func lastListenerUnsubscribes() async throws {
    try await withSubscriber { server, client, subscriber in
      let first = try await subscriber.listen(to: "results").get()
      let second = try await subscriber.listen(to: "results").get()
      first.close()
      #expect(try await subscriber.subscribedChannels().get() == ["results"])
      second.close()
      #expect(try await subscriber.subscribedChannels().get() == [])
      #expect(
        try await waitUntil(timeout: .seconds(5)) {
          try server.subscriberCounts(["results"]) == [0]
        })
      // Listening again subscribes again, on the same connection.
      let third = try await subscriber.listen(to: "results").get()
      _ = try await client.send(["PUBLISH", "results", "back"])
      #expect(try await third.nextMessage(timeout: .seconds(5)) == ByteBuffer(string: "back"))
      #expect(try server.subscribedClients() == 1)
      third.close()
    }
  }

  @Test("closing a listener ends its wait with .closed; a wait times out with nil")
  func closeEndsAWait() async throws {
    try await withSubscriber { server, client, subscriber in
      let listener = try await subscriber.listen(to: "quiet").get()
      #expect(try await listener.nextMessage(timeout: .milliseconds(20)) == nil)
      let waiting = listener.nextMessageFuture(timeout: .seconds(60))
      listener.close()
      let error = await expectRedisError { _ = try await waiting.get() }
      #expect(error?.code == .closed)
      try await subscriber.close().get()
      let refused = await expectRedisError { _ = try await subscriber.listen(to: "quiet").get() }
      #expect(refused?.code == .closed)
    }
  }

  @Test("a dropped connection fails the listeners; the next listen connects again")
  func reconnectsAfterADrop() async throws {
    try await withSubscriber { server, client, subscriber in
      let listener = try await subscriber.listen(to: "results").get()
      let waiting = listener.nextMessageFuture(timeout: .seconds(60))
      _ = try await client.send(["CLIENT", "KILL", "TYPE", "pubsub"])
      let error = await expectRedisError { _ = try await waiting.get() }
      #expect(error?.code == .closed)
      let again = try await subscriber.listen(to: "results").get()
      _ = try await client.send(["PUBLISH", "results", "after"])
      #expect(try await again.nextMessage(timeout: .seconds(5)) == ByteBuffer(string: "after"))
      again.close()
    }
  }

  @Test("a closed result reader refuses reads and waits at once (its event loop is stopped)")
  func closedReaderRefuses() async throws {
    try await withServer { server, _ in
      let reader = RedisAsyncResultReader(url: try RedisURL(server.url()))
      #expect(try await reader.result(for: "task-1") == nil)
      await reader.close()
      await reader.close()  // A second close is harmless.
      await #expect(throws: CeleriacError.self) { _ = try await reader.result(for: "task-1") }
      await #expect(throws: CeleriacError.self) {
        _ = try await reader.waitForResult("task-1", timeout: .seconds(30))
      }
    }
  }
}
