import Celeriac
import Foundation

/// The beat section of `celeriac inspect`: the leader, and each entry's last published due
/// time with the id of the task published for it.
enum BeatInspection {
  /// Prints the section; a broker without beat state prints `beat: not running`.
  static func print(app: CeleriacApp) {
    guard let store = try? app.beatStore(), let runs = try? store.lastRuns() else {
      Swift.print("beat: unavailable")
      return
    }
    let leader = (try? store.leader()) ?? nil
    guard leader != nil || !runs.isEmpty else {
      Swift.print("beat: not running")
      return
    }
    let holder = leader.map { "\($0.holder), lease until \(ISO8601.format($0.expires))" }
    Swift.print("beat: leader \(holder ?? "none")")
    for (name, due) in runs.sorted(by: { $0.key < $1.key }) {
      Swift.print(
        "  \(name): last due \(ISO8601.format(due)), task \(BeatTaskID.make(entry: name, due: due))"
      )
    }
  }
}
