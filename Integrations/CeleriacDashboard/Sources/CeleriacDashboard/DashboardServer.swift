import Celeriac
import Foundation
import Hummingbird
import Logging

/// The dashboard's web server: the page, its JSON API and the sampler behind the charts.
///
/// | route | answer |
/// |---|---|
/// | `GET /` | the page (HTML, CSS and JS inline: no external assets) |
/// | `GET /api/overview` | queue depths, workers, samples, counts per bucket |
/// | `GET /api/workers` | every live worker and its pools |
/// | `GET /api/tasks?state=&name=&queue=&since=&until=&limit=&cursor=` | one page of tasks |
/// | `GET /api/queued?queue=&limit=` | the next messages waiting in each queue |
/// | `GET /api/tasks/{id}` | one task: args, kwargs, result or traceback, timeline |
/// | `POST /api/tasks/{id}/revoke`, `…/terminate` | revoke (and signal its child) |
/// | `GET /api/dead-letters?limit=`, `GET /api/dead-letters/{id}` | dead letters |
/// | `POST /api/dead-letters/replay` (`{"ids": [...]}`), `POST /api/dead-letters/purge` | actions |
public struct DashboardServer: Sendable {
  /// The span the overview's charts and counts cover.
  public static let countSpan: Duration = .seconds(180)
  /// The width of one bucket of the overview's counts.
  public static let countBucket: Duration = .seconds(2)

  /// The most samples one overview returns (three minutes at one a second).
  public static let maximumSamplesShown = 180

  /// Where it listens and what it reads.
  public let configuration: DashboardConfiguration
  /// The broker and backend access.
  public let store: DashboardStore
  /// The queue and pool history.
  public let sampler: DashboardSampler

  /// A server over `connection`; throws ``DashboardError`` `.insecureBinding` for a
  /// non-loopback address without credentials.
  public init(configuration: DashboardConfiguration, connection: Connection) throws {
    try configuration.validate()
    self.configuration = configuration
    self.store = DashboardStore(
      connection: connection, controlTimeout: configuration.controlTimeout)
    self.sampler = DashboardSampler(store: store, capacity: configuration.historyLength)
  }

  /// The Hummingbird application (tests run it with `.live`); `onRunning` gets the bound port.
  public func application(onRunning: @escaping @Sendable (Int) -> Void = { _ in })
    -> some ApplicationProtocol
  {
    var logger = Logger(label: "celeriac-dashboard")
    logger.logLevel = .warning
    let port = configuration.port
    return Application(
      router: router(),
      configuration: .init(address: .hostname(configuration.host, port: port)),
      services: [
        DashboardSamplingService(sampler: sampler, interval: configuration.sampleInterval)
      ],
      onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) },
      logger: logger)
  }

  /// The routes, behind the credentials check.
  public func router() -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: DashboardAuthMiddleware(authentication: configuration.authentication))
    let store = self.store
    let sampler = self.sampler
    router.get("/") { _, _ in
      Response(
        status: .ok,
        headers: [
          .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
          .contentSecurityPolicy:
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
        ],
        body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
    }
    router.get("/api/overview") { _, _ in
      let workers = try await store.workers()
      let history = await sampler.history
      let latest = history.last?.depths ?? [:]
      let counts = try await store.counts(
        since: Date().addingTimeInterval(-Self.countSpan.seconds), bucket: Self.countBucket)
      return json(
        .object([
          "now": .double(Date().timeIntervalSince1970),
          "broker": .string(store.brokerURL), "backend": .string(store.backendURL),
          "queues": .object(latest.mapValues { .int(Int64($0)) }),
          "workers": .array(workers.map(DashboardJSON.worker)),
          "samples": .array(history.suffix(Self.maximumSamplesShown).map(\.json)),
          "counts": .array(counts.map(DashboardJSON.bucket)),
          "bucket": .double(Self.countBucket.seconds), "span": .double(Self.countSpan.seconds),
        ]))
    }
    router.get("/api/workers") { _, _ in
      json(.array(try await store.workers().map(DashboardJSON.worker)))
    }
    router.get("/api/tasks") { request, _ in
      let page = try await store.tasks(try DashboardRequest.taskQuery(request))
      return json(
        .object([
          "tasks": .array(page.records.map { DashboardJSON.record($0, detailed: false) }),
          "next": page.nextCursor.map { .string($0.description) } ?? .null,
          "partial": .bool(page.isPartial),
        ]))
    }
    router.get("/api/queued") { request, _ in
      let limit = try DashboardRequest.integer(
        request, "limit", in: 1...QueuePeekLimits.maximumCount, default: 100)
      var queues = try DashboardRequest.queue(request).map { [$0] } ?? []
      if queues.isEmpty { queues = try await store.knownQueues() }
      let messages = try await store.queued(in: queues, limit: limit)
      return json(.array(messages.map(DashboardJSON.queued)))
    }
    router.get("/api/tasks/{id}") { _, context in
      let id = try DashboardRequest.taskID(context)
      let (record, revoked) = try await store.task(id)
      var fields: [String: JSONValue] = [
        "id": .string(id), "revoked": .bool(revoked), "known": .bool(record != nil),
      ]
      if let record {
        guard case .object(let details) = DashboardJSON.record(record, detailed: true) else {
          return json(.object(fields))
        }
        fields.merge(details) { _, new in new }
      } else {
        fields["state"] = .string(revoked ? "REVOKED" : TaskState.pending.rawValue)
        // Still waiting: its message, if it is among the next ones of a known queue.
        let waiting = try await store.queued(
          in: try await store.knownQueues(), limit: QueuePeekLimits.maximumCount)
        if let message = waiting.first(where: { $0.id == id }),
          case .object(let details) = DashboardJSON.queued(message)
        {
          fields.merge(details) { old, _ in old }
          fields["waiting"] = .bool(true)
        }
      }
      return json(.object(fields))
    }
    router.post("/api/tasks/{id}/revoke") { _, context in
      let id = try DashboardRequest.taskID(context)
      let replied = try await store.revoke(id, terminate: false)
      return json(
        .object(["revoked": .string(id), "replied": .array(replied.map(JSONValue.string))]))
    }
    router.post("/api/tasks/{id}/terminate") { _, context in
      let id = try DashboardRequest.taskID(context)
      let replied = try await store.revoke(id, terminate: true)
      return json(
        .object(["terminated": .string(id), "replied": .array(replied.map(JSONValue.string))]))
    }
    router.get("/api/dead-letters") { request, _ in
      let limit = try DashboardRequest.integer(
        request, "limit", in: 1...DashboardStore.maximumDeadLetters, default: 100)
      let entries = try await store.deadLetters(limit: limit)
      return json(.array(entries.map { DashboardJSON.deadLetter($0, payload: false) }))
    }
    router.get("/api/dead-letters/{id}") { _, context in
      let id = try DashboardRequest.deadLetterID(context)
      guard let entry = try await store.deadLetter(id) else {
        throw DashboardError(.notFound, "no dead letter \(id)")
      }
      return json(DashboardJSON.deadLetter(entry, payload: true))
    }
    router.post("/api/dead-letters/replay") { request, context in
      let ids = try await DashboardRequest.deadLetterIDs(request, context: context)
      let replayed = try await store.replay(ids)
      return json(.object(["replayed": .array(replayed.map(JSONValue.string))]))
    }
    router.post("/api/dead-letters/purge") { _, _ in
      json(.object(["purged": .int(Int64(try await store.purgeDeadLetters()))]))
    }
    return router
  }
}

/// A JSON answer that is never cached.
func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
  Response(
    status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
    body: .init(byteBuffer: ByteBuffer(string: JSONWriter.string(value))))
}
