import CeleriacRedis
import CeleriacTestSupport
import NIOCore
import Testing

/// How many of the server's clients are subscribed to at least one channel.
private func subscribedClients(_ server: RedisTestServer) throws -> Int {
  try server.command(["CLIENT", "LIST"]).split(separator: "\n")
    .filter { line in line.split(separator: " ").contains { $0.hasPrefix("sub=") && $0 != "sub=0" }
    }
    .count
}

/// How many subscribers each of `channels` has on the server.
private func subscribers(_ server: RedisTestServer, _ channels: [String]) throws -> [Int] {
  let lines = try server.command(["PUBSUB", "NUMSUB"] + channels).split(separator: "\n")
  return stride(from: 1, to: lines.count, by: 2).map { Int(lines[$0]) ?? -1 }
}

@Suite("RedisSubscriber: one connection for many listeners", .serialized)
struct RedisSubscriberTests {
  @Test("every listener of a channel gets each message; many channels share one connection")
  func listenersShareOneConnection() async throws {
    try await withServer { server, client in
      let subscriber = RedisSubscriber(
        url: try RedisURL(server.url()), options: RedisConnectionOptions(),
        eventLoop: client.eventLoop)
      let channels = (0..<50).map { "channel-\($0)" }
      var listeners: [RedisChannelListener] = []
      for channel in channels { listeners.append(try await subscriber.listen(to: channel).get()) }
      let second = try await subscriber.listen(to: "channel-7").get()
      #expect(try subscribedClients(server) == 1)
      #expect(try subscribers(server, ["channel-0", "channel-7", "channel-49"]) == [1, 1, 1])
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
      try await subscriber.close().get()
    }
  }

  @Test("the last listener to close unsubscribes its channel; one still listening keeps it")
  func lastListenerUnsubscribes() async throws {
    try await withServer { server, client in
      let subscriber = RedisSubscriber(
        url: try RedisURL(server.url()), options: RedisConnectionOptions(),
        eventLoop: client.eventLoop)
      let first = try await subscriber.listen(to: "results")
        .get()
      let second = try await subscriber.listen(to: "results").get()
      first.close()
      #expect(try await subscriber.subscribedChannels().get() == ["results"])
      second.close()
      #expect(try await subscriber.subscribedChannels().get() == [])
      #expect(
        try await waitUntil(timeout: .seconds(5)) { try subscribers(server, ["results"]) == [0] })
      // Listening again subscribes again, on the same connection.
      let third = try await subscriber.listen(to: "results").get()
      _ = try await client.send(["PUBLISH", "results", "back"])
      #expect(try await third.nextMessage(timeout: .seconds(5)) == ByteBuffer(string: "back"))
      #expect(try subscribedClients(server) == 1)
      third.close()
      try await subscriber.close().get()
    }
  }

  @Test("closing a listener ends its wait with .closed; a wait times out with nil")
  func closeEndsAWait() async throws {
    try await withServer { server, client in
      let subscriber = RedisSubscriber(
        url: try RedisURL(server.url()), options: RedisConnectionOptions(),
        eventLoop: client.eventLoop)
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
    try await withServer { server, client in
      let subscriber = RedisSubscriber(
        url: try RedisURL(server.url()), options: RedisConnectionOptions(),
        eventLoop: client.eventLoop)
      let listener = try await subscriber.listen(to: "results").get()
      let waiting = listener.nextMessageFuture(timeout: .seconds(60))
      _ = try await client.send(["CLIENT", "KILL", "TYPE", "pubsub"])
      let error = await expectRedisError { _ = try await waiting.get() }
      #expect(error?.code == .closed)
      let again = try await subscriber.listen(to: "results").get()
      _ = try await client.send(["PUBLISH", "results", "after"])
      #expect(try await again.nextMessage(timeout: .seconds(5)) == ByteBuffer(string: "after"))
      again.close()
      try await subscriber.close().get()
    }
  }
}
