import Celeriac
import Foundation
import NIOCore
import NIOPosix

// The producer side of `Scripts/bench`: Celeriac's Swift API timed in one process, so that no
// process start-up is counted. Prints one JSON object on standard output.
//
//   celeriac-bench enqueue --broker URL [--backend URL] --count N [--warmup W]
//       N × `app.send("tasks.noop")`, one message per call (one broker write each).
//   celeriac-bench enqueue-blocking --broker URL [--backend URL] --count N [--warmup W]
//       N × the blocking `app.publish(app.makeMessage("tasks.noop"))`, on the caller's thread
//       (the path a producer with a thread of its own may take; `enqueue` never blocks one).
//   celeriac-bench enqueue-concurrent --broker URL [--backend URL] --count N [--warmup W]
//       N × `app.send("tasks.noop")` from 64 concurrent tasks (a web server's requests): the
//       non-blocking path pipelines them on shared connections.
//   celeriac-bench enqueue-batch --broker URL [--backend URL] --count N [--warmup W]
//       N × `makeMessage` + one `sendBatch` of all N.
//   celeriac-bench roundtrip --broker URL [--backend URL] --count N [--warmup W]
//       N × `send("tasks.add", [1, 2])` then `get()`; per-call latencies in ms.
//   celeriac-bench soak --broker URL [--backend URL] --count N [--report R] [--backlog B]
//       N × `app.send("tasks.noop")` from one long-lived producer, pausing while the queue
//       holds more than B (default 20,000); prints {"sent", "rss_kib"} every R sends
//       (default 100,000), for Scripts/soak.
//
// Every mode takes `--executor nio`: NIO's event loops are installed as Swift's global executor
// and the app's Redis producer shares them (`CeleriacApp(eventLoopGroup:)`), as a Hummingbird or
// Vapor server configured for it runs; it needs a build without `--static-swift-stdlib`. The
// default is Swift's own pool and a producer thread.

struct Options {
  var mode = ""
  var broker = ""
  var backend: String?
  var count = 1000
  var warmup = 0
  var timeout = 30.0
  var report = 100_000
  var backlog = 20_000
  var executor = "default"

  static func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var rest = arguments.dropFirst()
    guard let mode = rest.popFirst() else { usage("missing mode") }
    options.mode = mode
    while let flag = rest.popFirst() {
      guard let value = rest.popFirst() else { usage("\(flag) needs a value") }
      switch flag {
      case "--broker": options.broker = value
      case "--backend": options.backend = value
      case "--count": options.count = Int(value) ?? 0
      case "--warmup": options.warmup = Int(value) ?? 0
      case "--timeout": options.timeout = Double(value) ?? 30
      case "--report": options.report = max(1, Int(value) ?? 100_000)
      case "--backlog": options.backlog = max(1, Int(value) ?? 20_000)
      case "--executor":
        guard ["default", "nio"].contains(value) else { usage("--executor is default or nio") }
        options.executor = value
      default: usage("unknown flag \(flag)")
      }
    }
    if options.broker.isEmpty { usage("--broker is required") }
    if options.count < 1 { usage("--count must be at least 1") }
    return options
  }
}

func usage(_ message: String) -> Never {
  FileHandle.standardError.write(
    Data(
      "celeriac-bench: \(message)\nusage: celeriac-bench enqueue|enqueue-blocking|enqueue-concurrent|enqueue-batch|roundtrip|soak --broker URL [--backend URL] --count N [--warmup W]\n"
        .utf8))
  exit(64)
}

func emit(_ object: [String: Any]) {
  let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
  FileHandle.standardOutput.write(data)
  FileHandle.standardOutput.write(Data("\n".utf8))
}

/// This process's resident memory (`VmRSS`) in KiB.
func residentKiB() -> Int {
  let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
  for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
  }
  return 0
}

func elapsed(since start: ContinuousClock.Instant) -> Double {
  (ContinuousClock.now - start).seconds
}

/// The blocking `publish`, called from a synchronous function so that overload resolution picks
/// it over the `async` one.
func publishBlocking(_ message: TaskMessage, on app: CeleriacApp) throws {
  _ = try app.publish(message)
}

/// The blocking `sendBatch` (see ``publishBlocking(_:on:)``).
func sendBatchBlocking(_ messages: [TaskMessage], on app: CeleriacApp) throws {
  _ = try app.sendBatch(messages)
}

/// Runs the timed mode. A nonisolated function: its awaits resume on the global executor, as
/// a web server's request handler does, not on the main actor that top-level code runs on
/// (which would add a hop to the main thread after every call).
func run(_ options: Options, app: CeleriacApp) async throws {
  // Open the connection before timing anything (first use opens the file / socket).
  _ = try app.connection()
  switch options.mode {
  case "enqueue":
    for _ in 0..<options.warmup { try await app.send("tasks.noop") }
    let start = ContinuousClock.now
    for _ in 0..<options.count { try await app.send("tasks.noop") }
    let seconds = elapsed(since: start)
    emit(["mode": options.mode, "count": options.count, "seconds": seconds])
  case "enqueue-blocking":
    for _ in 0..<options.warmup { try publishBlocking(app.makeMessage("tasks.noop"), on: app) }
    let start = ContinuousClock.now
    for _ in 0..<options.count { try publishBlocking(app.makeMessage("tasks.noop"), on: app) }
    let seconds = elapsed(since: start)
    emit(["mode": options.mode, "count": options.count, "seconds": seconds])
  case "enqueue-concurrent":
    let senders = 64
    for _ in 0..<options.warmup { try await app.send("tasks.noop") }
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
      for sender in 0..<senders {
        let share = options.count / senders + (sender < options.count % senders ? 1 : 0)
        group.addTask { for _ in 0..<share { try await app.send("tasks.noop") } }
      }
      try await group.waitForAll()
    }
    let seconds = elapsed(since: start)
    emit(["mode": options.mode, "count": options.count, "seconds": seconds, "senders": senders])
  case "enqueue-batch":
    if options.warmup > 0 {
      try sendBatchBlocking(
        (0..<options.warmup).map { _ in app.makeMessage("tasks.noop") }, on: app)
    }
    let start = ContinuousClock.now
    let messages = (0..<options.count).map { _ in app.makeMessage("tasks.noop") }
    let built = elapsed(since: start)
    try sendBatchBlocking(messages, on: app)
    let seconds = elapsed(since: start)
    emit([
      "mode": options.mode, "count": options.count, "seconds": seconds,
      "build_seconds": built,
    ])
  case "roundtrip":
    let timeout = Duration.seconds(fractional: options.timeout)
    for _ in 0..<options.warmup {
      _ = try await app.send("tasks.add", args: [1, 2]).get(timeout: timeout)
    }
    var latencies: [Double] = []
    latencies.reserveCapacity(options.count)
    for _ in 0..<options.count {
      let start = ContinuousClock.now
      let value = try await app.send("tasks.add", args: [1, 2]).get(timeout: timeout)
      latencies.append(elapsed(since: start) * 1000)
      guard value == .int(3) else {
        FileHandle.standardError.write(Data("celeriac-bench: add(1, 2) returned \(value)\n".utf8))
        exit(1)
      }
    }
    emit(["mode": options.mode, "count": options.count, "latencies_ms": latencies])
  case "soak":
    let broker = try app.connection().broker
    for sent in 1...options.count {
      try await app.send("tasks.noop")
      if sent % 1_000 == 0 {
        while (try broker.depths(of: ["celery"])["celery"] ?? 0) > options.backlog {
          try await Task.sleep(for: .milliseconds(20))
        }
      }
      if sent % options.report == 0 || sent == options.count {
        emit(["mode": options.mode, "sent": sent, "rss_kib": residentKiB()])
      }
    }
  default:
    usage("unknown mode \(options.mode)")
  }
}

let options = Options.parse(CommandLine.arguments)
let onNIO =
  options.executor == "nio"
  && NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
if options.executor == "nio" && !onNIO {
  usage(
    "NIO's loops could not take over the executor: that needs a dynamically linked Swift runtime"
      + " (--static-swift-stdlib hides the hook it sets)")
}
let app = CeleriacApp(
  name: "celeriac-bench",
  configuration: CeleriacConfiguration(brokerURL: options.broker, backendURL: options.backend),
  eventLoopGroup: onNIO ? MultiThreadedEventLoopGroup.singleton : nil)

do {
  try await run(options, app: app)
} catch {
  FileHandle.standardError.write(Data("celeriac-bench: \(error)\n".utf8))
  exit(1)
}
