import CeleriacCore
import Foundation
import NIOCore

#if canImport(Glibc)
  import Glibc
#endif

/// Wakes a supervisor that waits for work as soon as a message lands on one of its queues,
/// instead of letting it find the message at its next poll.
///
/// Redis has no command that waits for a list to fill without taking from it. One does,
/// though: `BLMOVE queue queue RIGHT RIGHT` blocks until the list has an element, then moves
/// its last element to its own end, which leaves the list as it was. Each watched queue gets a
/// watcher thread with a connection of its own. While its queue is expected to bring work
/// (``expectWork(on:)``), the watcher keeps one such `BLMOVE` in flight. When the `BLMOVE`
/// returns an element, the watcher makes ``descriptor`` (a pipe) readable and stops asking
/// until the next ``expectWork(on:)``.
///
/// A Celery worker blocked in `BRPOP` on the same list is still served: the element pushed
/// back wakes it as a new one would.
///
/// The signal sees the queue's main list only. Priority lists (`queue\x06\x163`, …) and
/// delayed tasks still come in through the supervisor's regular poll, so
/// ``seesEveryChange`` is `false`. Watchers are made for the first ``maximumWatchedQueues``
/// queues only.
final class RedisQueueSignal: ChangeSignal, @unchecked Sendable {
  /// How long one `BLMOVE` waits in Redis before the watcher asks again.
  static let blockingTimeout: Duration = .seconds(5)
  /// The shortest time between two wake-ups of one watcher. This bounds the wake-up rate if
  /// a queue keeps a message the supervisor does not take.
  static let minimumInterval: Duration = .microseconds(250)
  /// At most this many queues get a watcher (a thread and a connection each).
  static let maximumWatchedQueues = 16

  let descriptor: Int32
  var seesEveryChange: Bool { false }
  /// The pipe's end that the watchers write to.
  private let writeEnd: Int32

  private let url: RedisURL
  private let options: RedisConnectionOptions
  private let queues: [String]
  /// Guards ``armed``, ``closed`` and ``connections``; watchers wait on it.
  private let condition = NSCondition()
  private var armed: [Bool]
  private var closed = false
  /// Each watcher's open connection, so that ``close()`` can interrupt a blocked `BLMOVE`.
  private var connections: [BlockingRedisConnection?]

  /// Starts a watcher per queue (up to ``maximumWatchedQueues``); `nil` for `rediss://`,
  /// which the blocking connection does not speak, or when no pipe can be made.
  init?(url: RedisURL, options: RedisConnectionOptions, queues: [String]) {
    guard url.tls == nil, !queues.isEmpty else { return nil }
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { return nil }
    for end in ends {
      _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
      _ = fcntl(end, F_SETFD, FD_CLOEXEC)
    }
    descriptor = ends[0]
    writeEnd = ends[1]
    self.url = url
    // Connections that block in Redis need a longer command timeout than the blocking time.
    var options = options
    options.commandTimeout =
      options.commandTimeout + .nanoseconds(Self.blockingTimeout.wholeNanoseconds)
    self.options = options
    var seen: Set<String> = []
    self.queues = Array(
      queues.filter { seen.insert($0).inserted }.prefix(Self.maximumWatchedQueues))
    armed = Array(repeating: false, count: self.queues.count)
    connections = Array(repeating: nil, count: self.queues.count)
    for index in self.queues.indices {
      let thread = Thread { [self] in watch(index) }
      thread.name = "celeriac-redis-signal-\(index)"
      thread.stackSize = 256 * 1024
      thread.start()
    }
  }

  func expectWork(on queues: [String]) {
    condition.lock()
    defer { condition.unlock() }
    var changed = false
    for queue in queues {
      guard let index = self.queues.firstIndex(of: queue), !armed[index] else { continue }
      armed[index] = true
      changed = true
    }
    if changed { condition.broadcast() }
  }

  @discardableResult
  func drain() -> Bool {
    // One read: the watchers write one byte per wake-up and are disarmed until the next
    // expectWork, so 64 bytes hold every wake-up pending.
    var bytes = [UInt8](repeating: 0, count: 64)
    return read(descriptor, &bytes, bytes.count) > 0
  }

  /// Stops the watchers (a blocked `BLMOVE` is cut short) and closes the descriptor.
  func close() {
    condition.lock()
    let wasClosed = closed
    closed = true
    let open = connections.compactMap { $0 }
    if !wasClosed {
      Glibc.close(descriptor)
      Glibc.close(writeEnd)
    }
    condition.broadcast()
    condition.unlock()
    for connection in open { connection.interrupt() }
  }

  // MARK: - The watchers

  /// One watcher: waits to be armed, then blocks in Redis until its queue has a message.
  private func watch(_ index: Int) {
    let queue = queues[index]
    let seconds = Int(Self.blockingTimeout.seconds)
    var connection: BlockingRedisConnection?
    var failures = 0
    while waitUntilArmed(index) {
      if connection == nil {
        do {
          connection = try BlockingRedisConnection(url: url, options: options)
          failures = 0
          if !register(connection, at: index) { return }
        } catch {
          failures += 1
          pause(RedisClient.defaultReconnectBackoff.delay(attempt: failures))
          continue
        }
      }
      guard let open = connection else { continue }
      do {
        let reply = try open.pipeline([["BLMOVE", queue, queue, "RIGHT", "RIGHT", seconds]])
        if case .error = reply[0] {
          // No BLMOVE (Redis before 6.2) or not a list: polling alone serves this queue.
          _ = register(nil, at: index)
          return
        }
        if !reply[0].isNull {
          fire(index)
          pause(Self.minimumInterval)
        }
      } catch {
        connection = nil
        if !register(nil, at: index) { return }
        failures += 1
        pause(RedisClient.defaultReconnectBackoff.delay(attempt: failures))
      }
    }
  }

  /// Blocks until the watcher is armed (`true`) or the signal is closed (`false`).
  private func waitUntilArmed(_ index: Int) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while !armed[index] && !closed { condition.wait() }
    return !closed
  }

  /// Records the watcher's connection; `false` once the signal is closed.
  private func register(_ connection: BlockingRedisConnection?, at index: Int) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    connections[index] = closed ? nil : connection
    return !closed
  }

  /// Disarms the watcher and makes the descriptor readable.
  private func fire(_ index: Int) {
    condition.lock()
    defer { condition.unlock() }
    armed[index] = false
    // Under the lock: ``close()`` cannot close the descriptor in between.
    guard !closed else { return }
    // A full pipe is readable already: a failed write loses nothing.
    var byte: UInt8 = 1
    _ = write(writeEnd, &byte, 1)
  }

  /// Sleeps for `duration`, or less if the signal is closed meanwhile (an ``expectWork(on:)``
  /// in between does not end the pause: that is what bounds the wake-up rate).
  private func pause(_ duration: Duration) {
    let deadline = Date().addingTimeInterval(duration.seconds)
    condition.lock()
    defer { condition.unlock() }
    while !closed && condition.wait(until: deadline) {}
  }
}

extension RedisBroker: ChangeNotifying {
  /// Readable when a message lands on the main list of one of `queues` while the supervisor
  /// expects work there (see ``RedisQueueSignal``); `nil` for `rediss://`.
  public func openChangeSignal(watching queues: [String]) -> (any ChangeSignal)? {
    RedisQueueSignal(url: url, options: client.options, queues: queues)
  }
}
