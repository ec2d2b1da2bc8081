import CeleriacCore
import CeleriacRedis
import CeleriacTestSupport
import NIOCore
import Testing

/// Expects `body` to throw a ``RedisError`` and returns it.
func expectRedisError(
  _ body: () async throws -> Void,
  sourceLocation: SourceLocation = #_sourceLocation
) async -> RedisError? {
  do {
    try await body()
    Issue.record("expected a RedisError", sourceLocation: sourceLocation)
  } catch let error as RedisError {
    return error
  } catch {
    Issue.record("expected a RedisError, got \(error)", sourceLocation: sourceLocation)
  }
  return nil
}

/// Starts a server, runs `body` with it and a client connected to it, then shuts both down.
func withServer(
  _ extraArguments: [String] = [],
  userInfo: String = "",
  suffix: String = "",
  options: RedisConnectionOptions = RedisConnectionOptions(),
  _ body: (RedisTestServer, RedisClient) async throws -> Void
) async throws {
  let server = try RedisTestServer(extraArguments: extraArguments)
  try await server.start()
  let client = try RedisClient(server.url(userInfo: userInfo, suffix: suffix), options: options)
  do {
    try await body(server, client)
  } catch {
    await client.shutdown()
    server.stop()
    throw error
  }
  await client.shutdown()
  server.stop()
}

@Suite("Redis client against a real redis-server", .serialized)
struct RedisServerTests {
  @Test("SET and GET, with binary values")
  func setGet() async throws {
    try await withServer { _, client in
      #expect(try await client.send(["SET", "greeting", "hello"]) == .simpleString("OK"))
      #expect(try await client.send(["GET", "greeting"]).string == "hello")
      #expect(try await client.send(["GET", "missing"]).isNull)
      let binary = ByteBuffer(bytes: [0, 13, 10, 255, 36, 42])
      _ = try await client.send(["SET", "binary", binary])
      #expect(try await client.send(["GET", "binary"]) == .bulkString(binary))
      #expect(try await client.send(["STRLEN", "binary"]).int == 6)
    }
  }

  @Test("LPUSH and LRANGE, async and sync")
  func lists() async throws {
    try await withServer { _, client in
      #expect(try await client.send(["LPUSH", "queue", "a", "b", "c"]) == .integer(3))
      let items = try client.sendSync(["LRANGE", "queue", 0, -1]).array?.compactMap(\.string)
      #expect(items == ["c", "b", "a"])
      #expect(try client.sendSync(["RPOP", "queue"]).string == "a")
    }
  }

  @Test("a pipeline of 1,000 commands gets 1,000 replies in order")
  func pipelineOfAThousand() async throws {
    try await withServer { _, client in
      let commands: [[any RESPArgument]] = (0..<1_000).map { ["RPUSH", "list", "item-\($0)"] }
      let replies = try client.pipelineSync(commands)
      #expect(replies == (1...1_000).map { RESPValue.integer(Int64($0)) })
      let asyncReplies = try await client.pipeline([["LLEN", "list"], ["LINDEX", "list", 999]])
      #expect(asyncReplies == [.integer(1_000), .bulkString(ByteBuffer(string: "item-999"))])
      #expect(try await client.pipeline([]) == [])
    }
  }

  @Test("MULTI/EXEC as a pipeline")
  func multiExec() async throws {
    try await withServer { _, client in
      let replies = try await client.pipeline([
        ["MULTI"], ["INCR", "counter"], ["INCRBY", "counter", 41], ["EXEC"],
      ])
      #expect(
        replies == [
          .simpleString("OK"), .simpleString("QUEUED"), .simpleString("QUEUED"),
          .array([.integer(1), .integer(42)]),
        ])
      // The Celery worker's claim step: ZADD + HSET in one transaction.
      let claim = try await client.pipeline([
        ["MULTI"], ["ZADD", "unacked_index", 1.5, "tag"], ["HSET", "unacked", "tag", "[]"],
        ["EXEC"],
      ])
      #expect(claim.last == .array([.integer(1), .integer(1)]))
    }
  }

  @Test("error replies surface as serverError and leave the connection usable")
  func serverErrors() async throws {
    try await withServer { _, client in
      _ = try await client.send(["SET", "text", "abc"])
      let error = await expectRedisError { _ = try await client.send(["INCR", "text"]) }
      #expect(error?.code == .serverError("ERR value is not an integer or out of range"))
      #expect(error?.description == "Redis error: ERR value is not an integer or out of range")
      let unknown = await expectRedisError { _ = try client.sendSync(["NOSUCHCOMMAND"]) }
      #expect(unknown?.code.isServerError == true)
      let replies = try await client.pipeline([["INCR", "text"], ["GET", "text"]])
      #expect(replies[0].errorMessage?.hasPrefix("ERR value is not an integer") == true)
      #expect(throws: RedisError.self) { try replies[0].checked() }
      #expect(replies[1].string == "abc")
      #expect(try await client.send(["PING"]) == .simpleString("PONG"))
    }
  }

  @Test("AUTH with --requirepass: right, wrong and missing password")
  func passwordAuth() async throws {
    try await withServer(["--requirepass", "s3cret"], userInfo: ":s3cret@") { server, client in
      #expect(try await client.send(["PING"]) == .simpleString("PONG"))
      let wrong = try RedisClient(server.url(userInfo: ":nope@"))
      defer { wrong.shutdownSync() }
      let error = await expectRedisError { try await wrong.connect() }
      #expect(error?.code == .authenticationFailed)
      #expect(
        error?.message.hasPrefix("Redis at 127.0.0.1:\(server.port) refused authentication")
          == true)
      #expect(error?.message.contains("nope") == false)
      let missing = try RedisClient(server.url())
      defer { missing.shutdownSync() }
      let noAuth = await expectRedisError { _ = try missing.sendSync(["PING"]) }
      #expect(noAuth?.code == .authenticationFailed)
    }
  }

  @Test("ACL user: ACL SETUSER, then connect as that user")
  func aclUser() async throws {
    try await withServer { server, admin in
      _ = try await admin.send(["ACL", "SETUSER", "worker", "on", ">w0rker", "~*", "&*", "+@all"])
      let worker = try RedisClient(server.url(userInfo: "worker:w0rker@"))
      defer { worker.shutdownSync() }
      #expect(try await worker.send(["ACL", "WHOAMI"]).string == "worker")
      let wrong = try RedisClient(server.url(userInfo: "worker:bad@"))
      defer { wrong.shutdownSync() }
      let error = await expectRedisError { try wrong.connectSync() }
      #expect(error?.code == .authenticationFailed)
      #expect(error?.message.contains("as user 'worker'") == true)
    }
  }

  @Test("SELECT: the database number of the URL is used")
  func selectDatabase() async throws {
    try await withServer(suffix: "/3") { server, db3 in
      _ = try await db3.send(["SET", "where", "three"])
      let db0 = try RedisClient(server.url())
      defer { db0.shutdownSync() }
      #expect(try await db0.send(["GET", "where"]).isNull)
      #expect(try await db0.pipeline([["SELECT", 3], ["GET", "where"]]).last?.string == "three")
    }
  }

  @Test("connection refused gives a clear one-line error")
  func connectionRefused() async throws {
    let port = try RedisTestServer.freePort()
    // A long backoff, so that the second call surely falls inside its window.
    let client = RedisClient(
      url: try RedisURL("redis://127.0.0.1:\(port)"),
      backoff: Backoff(minimum: .seconds(10), maximum: .seconds(10), jitter: .equal))
    defer { client.shutdownSync() }
    let error = await expectRedisError { _ = try await client.send(["PING"]) }
    #expect(error?.code == .connectionFailed)
    #expect(error?.message == "cannot connect to Redis at 127.0.0.1:\(port): connection refused")
    // Within the backoff window the client fails fast, saying when it tries again.
    let again = await expectRedisError { _ = try client.sendSync(["PING"]) }
    #expect(again?.message.contains("next attempt in") == true)
  }

  @Test("the client reconnects after the server was restarted")
  func reconnect() async throws {
    let server = try RedisTestServer()
    try await server.start()
    defer { server.stop() }
    let client = try RedisClient(
      url: RedisURL(server.url()),
      backoff: Backoff(minimum: .milliseconds(20), maximum: .milliseconds(100), jitter: .equal))
    defer { client.shutdownSync() }
    _ = try client.sendSync(["SET", "before", "restart"])

    server.stop()
    let down = await expectRedisError { _ = try client.sendSync(["PING"]) }
    #expect(down?.code == .closed || down?.code == .connectionFailed)

    try await server.start()
    let reply = try await waitForValue(timeout: .seconds(2), every: .milliseconds(20)) {
      try? client.sendSync(["PING"])
    }
    #expect(reply == .simpleString("PONG"))
    #expect(try client.sendSync(["GET", "before"]).isNull)  // A new, empty server.
  }

  @Test("a command without a reply in time fails with timeout, and the client recovers")
  func commandTimeout() async throws {
    let options = RedisConnectionOptions(commandTimeout: .milliseconds(200))
    try await withServer(options: options) { _, client in
      let error = await expectRedisError {
        _ = try await client.send(["BLPOP", "empty", 2])
      }
      #expect(error?.code == RedisError.Code.timeout)
      let reply = try await client.send(["BLPOP", "empty", 1], timeout: .seconds(3))
      #expect(reply.isNull)
    }
  }

  /// A shut-down client's event loop is stopped, and a future of a stopped loop never
  /// completes: without the check these calls would hang (and a debug build would trap).
  @Test("a client that was shut down refuses every call at once with .closed")
  func refusesCallsAfterShutdown() async throws {
    try await withServer { _, client throws in
      #expect(try await client.send(["SET", "before", "1"]) == .simpleString("OK"))
      await client.shutdown()
      let calls: [(String, () async throws -> Void)] = [
        ("send", { _ = try await client.send(["GET", "before"]) }),
        ("pipeline", { _ = try await client.pipeline([["GET", "before"]]) }),
        ("connect", { try await client.connect() }),
        ("subscribe", { _ = try await client.subscribe(to: "channel") }),
        ("sendSync", { _ = try client.sendSync(["GET", "before"]) }),
        ("pipelineSync", { _ = try client.pipelineSync([["GET", "before"]]) }),
        ("connectSync", { try client.connectSync() }),
        ("subscribeSync", { _ = try client.subscribeSync(to: "channel") }),
      ]
      for (name, call) in calls {
        let error = await expectRedisError { try await call() }
        #expect(error?.code == .closed, "\(name)")
      }
    }
  }

  @Test("pub/sub: wait for one message, with a timeout")
  func publishSubscribe() async throws {
    try await withServer { _, client in
      let subscription = try await client.subscribe(to: "celery-task-meta-42")
      #expect(try await subscription.nextMessage(timeout: .milliseconds(50)) == nil)
      let receivers = try await client.send(["PUBLISH", "celery-task-meta-42", "{\"status\": 1}"])
      #expect(receivers == .integer(1))
      let message = try await subscription.nextMessage(timeout: .seconds(5))
      #expect(message.map { String(buffer: $0) } == "{\"status\": 1}")
      // Published while nobody waits: kept for the next (sync) wait.
      _ = try await client.send(["PUBLISH", "celery-task-meta-42", "second"])
      _ = try await client.send(["PUBLISH", "other-channel", "ignored"])
      let second = try subscription.nextMessageSync(timeout: .seconds(5))
      #expect(second.map { String(buffer: $0) } == "second")
      await subscription.close()
      let closed = await expectRedisError {
        _ = try await subscription.nextMessage(timeout: .seconds(1))
      }
      #expect(closed?.code == .closed)
    }
  }
}

extension RedisError.Code {
  var isServerError: Bool {
    if case .serverError = self { return true }
    return false
  }
}

@Suite("Redis client under concurrent use", .serialized)
struct RedisConcurrencyTests {
  @Test("replies are matched to their commands when many tasks share one connection")
  func concurrentCallers() async throws {
    try await withServer { _, client in
      try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<8 {
          group.addTask {
            for index in 0..<200 {
              let value = "worker-\(worker)-value-\(index)"
              let replies = try await client.pipeline([
                ["SET", "key-\(worker)", value], ["GET", "key-\(worker)"],
              ])
              #expect(replies.last?.string == value)
              #expect(try await client.send(["ECHO", value]).string == value)
            }
          }
        }
        try await group.waitForAll()
      }
    }
  }
}
