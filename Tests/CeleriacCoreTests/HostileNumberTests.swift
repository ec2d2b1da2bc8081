import CeleriacCore
import Foundation
import Testing

@Suite("Numbers from outside never trap")
struct HostileNumberTests {
  @Test(
    "Duration.seconds(fractional:) saturates instead of trapping",
    arguments: [
      Double.nan, .infinity, -.infinity, 1e13, 1e20, -1e20, .greatestFiniteMagnitude,
      Double(Int64.max),
    ])
  func durationSaturates(_ value: Double) {
    let duration = Duration.seconds(fractional: value)
    #expect(abs(duration.seconds) <= Duration.maximumConvertibleSeconds + 1)
    #expect(Duration.seconds(checked: value) == nil || value.magnitude < 1e14)
    _ = duration.wholeMilliseconds
  }

  @Test("Duration.seconds(checked:) keeps ordinary values")
  func checkedKeepsOrdinaryValues() {
    #expect(Duration.seconds(checked: 1.5) == .milliseconds(1_500))
    #expect(Duration.seconds(checked: 0) == .zero)
    #expect(Duration.seconds(checked: .nan) == nil)
    #expect(Duration.seconds(checked: .infinity) == nil)
  }

  @Test(
    "SecondsValue names the value and the bound",
    arguments: [
      (Double.nan, false), (.infinity, false), (-1, false), (0, true), (1e20, false),
      (3600, true), (SecondsValue.maximumSeconds, true), (SecondsValue.maximumSeconds + 1, false),
    ])
  func delayRange(_ value: Double, _ accepted: Bool) {
    let problem = SecondsValue.delay.problem(with: value, name: "--countdown")
    #expect((problem == nil) == accepted)
    if let problem {
      #expect(problem.hasPrefix("--countdown must be a number of seconds from 0 to 315360000"))
      #expect(!problem.contains("\n"))
    }
  }

  @Test("A positive range refuses zero")
  func positiveRange() {
    #expect(SecondsValue.positive.problem(with: 0, name: "--time-limit") != nil)
    #expect(SecondsValue.positive.problem(with: 0.001, name: "--time-limit") == nil)
    #expect(throws: CeleriacError.self) {
      try SecondsValue.check(.nan, name: "--lease", range: .positive)
    }
  }

  @Test(
    "ISO 8601 formatting of extreme dates does not trap",
    arguments: [Double.nan, .infinity, -.infinity, 1e20, -1e20, 0, 253_402_300_799])
  func isoFormatExtremes(_ seconds: Double) {
    let text = ISO8601.format(Date(timeIntervalSince1970: seconds))
    #expect(text.count == 32, "\(text)")
  }

  static let badMessages: [(String, @Sendable (inout TaskMessage) -> Void, String)] = [
    ("empty name", { $0.name = "" }, "task name is empty"),
    ("empty id", { $0.id = "" }, "task id is empty"),
    ("long queue", { $0.queue = String(repeating: "q", count: 600) }, "queue is longer"),
    ("hard limit 1e13", { $0.timeLimit.hard = 1e13 }, "hard time limit must be"),
    ("soft limit NaN", { $0.timeLimit.soft = .nan }, "soft time limit must be"),
    ("negative hard limit", { $0.timeLimit.hard = -1 }, "hard time limit must be"),
    ("eta year 1e12", { $0.eta = Date(timeIntervalSince1970: 1e20) }, "eta is outside"),
    ("expires NaN", { $0.expires = Date(timeIntervalSince1970: .nan) }, "expires is outside"),
    ("negative retries", { $0.retries = -1 }, "retries must be"),
    ("huge retries", { $0.retries = Int.max }, "retries must be"),
    ("negative redeliveries", { $0.options.maxRedeliveries = -5 }, "max redeliveries"),
  ]

  @Test("Out-of-range messages are refused with a reason", arguments: 0..<badMessages.count)
  func messageValidation(_ index: Int) {
    let (_, mutate, reason) = Self.badMessages[index]
    var message = TaskMessage(name: "tasks.add", args: [1, 2])
    #expect(message.validationProblem == nil)
    mutate(&message)
    let problem = message.validationProblem
    #expect(problem?.contains(reason) == true, "\(problem ?? "accepted")")
    #expect(throws: CeleriacError.self) { try message.validate() }
  }
}
