import CeleriacCore
import Foundation
import Testing

@testable import CeleriacWorker

#if canImport(Glibc)
  import Glibc
#endif

/// Two connected channels over a real `socketpair`, closed when the pair goes away.
private final class ChannelPair: @unchecked Sendable {
  let left: LineChannel
  let right: LineChannel
  private var rightClosed = false

  init() throws {
    var fds: [Int32] = [-1, -1]
    let status = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds)
    guard status == 0 else {
      throw CeleriacError(.protocolError, "socketpair: \(String(cString: strerror(errno)))")
    }
    left = LineChannel(fd: fds[0])
    right = LineChannel(fd: fds[1])
  }

  /// Closes the right end (the peer of `left`).
  func closeRight() {
    right.close()
    rightClosed = true
  }

  /// Writes raw bytes to the right end, bypassing the channel's framing.
  func writeRaw(_ text: String) {
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { Glibc.write(right.fd, $0.baseAddress, $0.count) }
    precondition(written == bytes.count)
  }

  deinit {
    left.close()
    if !rightClosed { right.close() }
  }
}

private let message = TaskMessage(
  id: "0b1e-task", name: "images.resize", args: ["a.png", 640, 2.5, nil, true],
  kwargs: ["nested": ["k": [1, 2]], "text": "line\nbreak \"quoted\" ü"], queue: "images",
  eta: Date(timeIntervalSince1970: 1_795_593_600.123456), expires: nil, retries: 2,
  timeLimit: TimeLimits(soft: 5, hard: 10), options: TaskOptions(acksLate: true),
  rootID: "root", parentID: "parent", groupID: nil, idempotencyKey: "key")

private let allCommands: [SupervisorCommand] = [
  .run(RunRequest(tag: "tag-1", message: message, softTimeLimit: 1.5)),
  .run(RunRequest(tag: "tag-2", message: TaskMessage(name: "t"), softTimeLimit: nil)),
  .shutdown,
]

private let allEvents: [ChildEvent] = [
  .ready(pid: 4_242),
  .heartbeat,
  .progress(tag: "tag-1", state: .progress, meta: ["current": 3, "total": 10]),
  .progress(tag: "tag-1", state: TaskState(rawValue: "UPLOADING"), meta: nil),
  .finished(tag: "tag-1", outcome: .success(["value": [1, 2.5, "x", nil]]), rssKiB: 10_240),
  .finished(tag: "tag-1", outcome: .success(nil), rssKiB: 0),
  .finished(
    tag: "tag-2",
    outcome: .failure(TaskFailure(type: "ValueError", message: "bad\nvalue", traceback: "tb")),
    rssKiB: 1),
  .finished(tag: "tag-3", outcome: .retry(countdown: 2.5, reason: "busy"), rssKiB: 2),
  .finished(tag: "tag-4", outcome: .retry(countdown: nil, reason: "policy"), rssKiB: 3),
]

@Suite("LineChannel over a socketpair")
struct LineChannelTests {
  @Test("every supervisor command arrives intact (blocking receive)")
  func supervisorCommands() throws {
    let pair = try ChannelPair()
    for command in allCommands { try pair.left.send(command) }
    for command in allCommands {
      #expect(try pair.right.receive(SupervisorCommand.self) == command)
    }
  }

  @Test("every child event and task outcome arrives intact (non-blocking receive)")
  func childEvents() throws {
    let pair = try ChannelPair()
    for event in allEvents { try pair.right.send(event) }
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == allEvents)
  }

  @Test("one line per message, even with newlines inside strings")
  func oneLinePerMessage() throws {
    let pair = try ChannelPair()
    try pair.left.send(allCommands[0])
    var bytes = [UInt8](repeating: 0, count: 65_536)
    let count = bytes.withUnsafeMutableBytes { recv(pair.right.fd, $0.baseAddress, $0.count, 0) }
    let text = String(decoding: bytes[0..<count], as: UTF8.self)
    #expect(text.hasSuffix("\n"))
    #expect(text.filter { $0 == "\n" }.count == 1)
  }

  @Test("many messages in one read are all returned, in order")
  func manyMessagesInOneRead() throws {
    let pair = try ChannelPair()
    let events = (0..<2_000).map { ChildEvent.progress(tag: "t", state: .progress, meta: .int($0)) }
    // More than one 64 KiB chunk: sent from another thread as the socket buffer may fill.
    let writer = Thread { for event in events { try! pair.right.send(event) } }
    writer.start()
    var received: [ChildEvent] = []
    let deadline = Date().addingTimeInterval(10)
    while received.count < events.count && Date() < deadline {
      var pollfd = Glibc.pollfd(fd: pair.left.fd, events: Int16(POLLIN), revents: 0)
      _ = poll(&pollfd, 1, 100)
      received += try #require(try pair.left.receiveAvailable(ChildEvent.self))
    }
    #expect(received == events)
  }

  @Test("a batch written at once is returned by a single receiveAvailable")
  func batchInOneCall() throws {
    let pair = try ChannelPair()
    let lines = (0..<50).map { _ in #"{"type":"heartbeat"}"# }.joined(separator: "\n") + "\n"
    pair.writeRaw(lines)
    let events = try #require(try pair.left.receiveAvailable(ChildEvent.self))
    #expect(events.count == 50)
    #expect(events.allSatisfy { $0 == .heartbeat })
  }

  @Test("a message split across writes is returned once complete")
  func splitAcrossWrites() throws {
    let pair = try ChannelPair()
    let line = String(decoding: try JSONEncoder().encode(allEvents[4]), as: UTF8.self)
    let cut = line.index(line.startIndex, offsetBy: line.count / 2)
    pair.writeRaw(#"{"type":"heartbeat"}"# + "\n" + line[..<cut])
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == [.heartbeat])
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == [])
    pair.writeRaw(String(line[cut...]))
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == [])
    pair.writeRaw("\n")
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == [allEvents[4]])
  }

  @Test("a multi-byte character split between writes survives")
  func splitInsideCharacter() throws {
    let pair = try ChannelPair()
    let line = Array(#"{"type":"progress","tag":"ü€","state":"P","meta":"😀"}"#.utf8) + [10]
    for byte in line {
      _ = [byte].withUnsafeBytes { Glibc.write(pair.right.fd, $0.baseAddress, 1) }
      if byte != 10 { #expect(try pair.left.receiveAvailable(ChildEvent.self) == []) }
    }
    #expect(
      try pair.left.receiveAvailable(ChildEvent.self)
        == [.progress(tag: "ü€", state: TaskState(rawValue: "P"), meta: "😀")])
  }

  @Test("blocking receive waits for the rest of a split message")
  func blockingReceiveSplit() throws {
    let pair = try ChannelPair()
    pair.writeRaw(#"{"type":"shut"#)
    let writer = Thread {
      Thread.sleep(forTimeInterval: 0.05)
      pair.writeRaw("down\"}\n")
    }
    writer.start()
    #expect(try pair.left.receive(SupervisorCommand.self) == .shutdown)
  }

  @Test("nothing available on an open socket is an empty list, not nil")
  func nothingAvailable() throws {
    let pair = try ChannelPair()
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == [])
  }

  @Test("peer close: the messages sent before it first, then nil")
  func peerCloseAfterMessages() throws {
    let pair = try ChannelPair()
    try pair.right.send(ChildEvent.heartbeat)
    try pair.right.send(ChildEvent.ready(pid: 7))
    pair.closeRight()
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == [.heartbeat, .ready(pid: 7)])
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == nil)
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == nil)
  }

  @Test("peer close with nothing pending: receiveAvailable and receive return nil")
  func peerCloseEmpty() throws {
    let pair = try ChannelPair()
    pair.closeRight()
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == nil)
    #expect(try pair.left.receive(ChildEvent.self) == nil)
  }

  @Test("blocking receive returns buffered messages, then nil at close")
  func blockingReceiveThenClose() throws {
    let pair = try ChannelPair()
    try pair.right.send(SupervisorCommand.shutdown)
    pair.closeRight()
    #expect(try pair.left.receive(SupervisorCommand.self) == .shutdown)
    #expect(try pair.left.receive(SupervisorCommand.self) == nil)
  }

  @Test("a partial line at close is dropped: no messages, then nil, no error")
  func partialLineAtClose() throws {
    let pair = try ChannelPair()
    pair.writeRaw(#"{"type":"heartb"#)
    pair.closeRight()
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == [])
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == nil)
  }

  @Test("sending to a closed peer throws a protocolError instead of raising SIGPIPE")
  func sendToClosedPeer() throws {
    let pair = try ChannelPair()
    pair.closeRight()
    let error = #expect(throws: CeleriacError.self) {
      try pair.left.send(SupervisorCommand.shutdown)
    }
    #expect(error?.code == .protocolError)
  }

  @Test("a malformed line throws a protocolError naming it; the next line still decodes")
  func malformedLine() throws {
    let pair = try ChannelPair()
    pair.writeRaw("this is not json\n" + #"{"type":"heartbeat"}"# + "\n")
    let error = #expect(throws: CeleriacError.self) {
      try pair.left.receiveAvailable(ChildEvent.self)
    }
    #expect(error?.code == .protocolError)
    #expect(error?.message.contains("this is not json") == true)
    #expect(try pair.left.receiveAvailable(ChildEvent.self) == [.heartbeat])
  }

  @Test("valid JSON of the wrong shape is malformed too, and blocking receive throws")
  func wrongShape() throws {
    let pair = try ChannelPair()
    pair.writeRaw(#"{"explode":{}}"# + "\n")
    let error = #expect(throws: CeleriacError.self) {
      try pair.left.receive(SupervisorCommand.self)
    }
    #expect(error?.message.contains(#"{"explode":{}}"#) == true)
  }

  @Test("a huge malformed line is quoted only up to 200 bytes")
  func hugeMalformedLine() throws {
    let pair = try ChannelPair()
    let junk = String(repeating: "x", count: 10_000)
    let writer = Thread { pair.writeRaw(junk + "\n") }
    writer.start()
    let error = #expect(throws: CeleriacError.self) {
      try pair.left.receive(ChildEvent.self)
    }
    #expect(error?.message.contains(String(repeating: "x", count: 200)) == true)
    #expect(error?.message.contains(String(repeating: "x", count: 201)) == false)
  }
}
