import ArgumentParser
import Celeriac
import CeleriacCLI
import Foundation

/// `celeriac demo`: feeds a running worker a burst of seed-style work and shows it progress.
struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Send a burst of example work to the worker and show progress live.")

  @OptionGroup var connection: ConnectionOptions
  @Option(help: "Folder for thumbnails and PDFs.") var output: String = "demo-output"
  @Option(help: "Scale of the burst (1 = about 160 tasks).") var scale: Int = 1
  @Option(help: "Seconds to wait for the burst to finish.") var timeout: Double = 120

  func run() throws {
    let app = CeleriacCommandLine.app
    let open = try connection.connect(app)
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    let messages = burst(app)
    let started = Date()
    try open.broker.publish(messages)
    print("sent \(messages.count) tasks to queues celery and images")
    let final = try watch(messages, connection: open, started: started)
    summarize(messages, records: final, elapsed: Date().timeIntervalSince(started))
  }

  /// The burst: factoring, directory walks, thumbnails, PDFs, sleeps, failures, one crash.
  private func burst(_ app: CeleriacApp) -> [TaskMessage] {
    var messages: [TaskMessage] = []
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<(60 * scale) {
      let n = UInt64.random(in: 1_000_000_000_000...4_000_000_000_000_000_000, using: &generator)
      messages.append(app.makeMessage("tasks.factor", args: [.int(Int64(n))]))
    }
    for path in ["/usr/share/doc", "/usr/include", "/etc", "/usr/lib/python3"] {
      messages.append(app.makeMessage("tasks.count_files", args: [.string(path)]))
    }
    let images = SendOptions(queue: "images")
    for index in 0..<(24 * scale) {
      messages.append(
        app.makeMessage(
          "tasks.thumbnail", args: [.string("\(output)/thumb-\(index).png"), 96], options: images))
    }
    for index in 0..<(8 * scale) {
      messages.append(
        app.makeMessage(
          "tasks.render_pdf",
          args: [
            .string("\(output)/report-\(index).pdf"), .string("Weekly report \(index)"),
            ["Queued by celeriac demo", "Rendered by a pool child"],
          ], options: images))
    }
    for _ in 0..<(40 * scale) { messages.append(app.makeMessage("tasks.add", args: [2, 3])) }
    for _ in 0..<(20 * scale) { messages.append(app.makeMessage("tasks.sleep", args: [0.2])) }
    messages.append(app.makeMessage("tasks.progress", args: [10, 0.1]))
    messages.append(app.makeMessage("tasks.fail", args: ["a task that fails on purpose"]))
    messages.append(app.makeMessage("tasks.flaky", args: [2]))
    messages.append(app.makeMessage("tasks.crash"))
    return messages.shuffled()
  }

  /// Prints one progress line per half second until every task is ready.
  private func watch(_ messages: [TaskMessage], connection: Connection, started: Date) throws
    -> [String: TaskResultRecord]
  {
    var records: [String: TaskResultRecord] = [:]
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      for message in messages where records[message.id]?.state.isReady != true {
        if let record = try connection.backend.result(for: message.id) {
          records[message.id] = record
        }
      }
      var counts: [String: Int] = [:]
      for message in messages {
        counts[records[message.id]?.state.rawValue ?? "PENDING", default: 0] += 1
      }
      let states = ["PENDING", "STARTED", "PROGRESS", "RETRY", "SUCCESS", "FAILURE"]
        .map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: "  ")
      let pools =
        (try? connection.broker.workerStatuses())?.flatMap(\.pools)
        .map { "\($0.name) \($0.busy)/\($0.busy + $0.idle) busy" }.joined(separator: ", ") ?? ""
      let elapsed = String(format: "%5.1f s", Date().timeIntervalSince(started))
      print("[\(elapsed)] \(states) | children: \(pools)")
      let done = messages.allSatisfy { records[$0.id]?.state.isReady == true }
      if done || Date() > deadline { return records }
      Thread.sleep(forTimeInterval: 0.5)
    }
  }

  private func summarize(
    _ messages: [TaskMessage], records: [String: TaskResultRecord], elapsed: Double
  ) {
    print("\nsummary after \(String(format: "%.1f", elapsed)) s:")
    let byName = Dictionary(grouping: messages, by: \.name)
    for name in byName.keys.sorted() {
      let group = byName[name]!
      let succeeded = group.filter { records[$0.id]?.state == .success }.count
      let failed = group.filter { records[$0.id]?.state == .failure }
      let padded = name.count >= 18 ? name : name + String(repeating: " ", count: 18 - name.count)
      var line = "  \(padded) \(succeeded)/\(group.count) succeeded"
      if let first = failed.first, let failure = records[first.id]?.failure {
        line += ", \(failed.count) failed (\(failure))"
      }
      if let sample = group.first(where: { records[$0.id]?.state == .success }),
        let value = records[sample.id]?.result
      {
        line += " — e.g. \(String(value.compactDescription.prefix(60)))"
      }
      print(line)
    }
    let pending = messages.filter { records[$0.id]?.state.isReady != true }.count
    if pending > 0 { print("  \(pending) tasks not finished within \(timeout) s") }
    print("thumbnails and PDFs are in \(output)/")
  }
}
