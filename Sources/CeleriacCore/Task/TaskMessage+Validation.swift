import Foundation

/// The bounds every ``TaskMessage`` is checked against where it enters a process: at publish
/// (any producer), when a broker decodes a claimed message, and when a child reads its run
/// request. A message outside them is refused with a one-line reason (an error for a producer,
/// a dead letter with a FAILURE result for a claimed message), never converted in a way that
/// could trap.
public enum TaskMessageLimits {
  /// The longest task id, task name or queue name, in UTF-8 bytes.
  public static let maximumNameLength = 512
  /// The most retries a message may say it has had.
  public static let maximumRetries = 1_000_000
  /// The highest redelivery cap a message may ask for.
  public static let maximumRedeliveries = 1_000_000
  /// The range of a time limit in seconds: positive, at most ten years.
  public static let timeLimit = SecondsValue.positive
  /// The earliest ETA or expiry accepted (ISO 8601's first year).
  public static let earliestDate = ISO8601.earliest
  /// The latest ETA or expiry accepted (ISO 8601's last year).
  public static let latestDate = ISO8601.latest
  /// The largest position in a group (a chord's header) a message may name.
  public static let maximumGroupIndex: Int64 = 10_000_000
  /// The largest encoded message a producer may publish, by default: 16 MiB.
  public static let defaultMaximumPayloadBytes = 16 * 1024 * 1024
}

extension TaskMessage {
  /// The first reason this message cannot be run as sent, or `nil` when it is within
  /// ``TaskMessageLimits``.
  public var validationProblem: String? {
    if let problem = Self.nameProblem(id, "task id") { return problem }
    if let problem = Self.nameProblem(name, "task name") { return problem }
    if let problem = Self.nameProblem(queue, "queue") { return problem }
    if let problem = Self.dateProblem(eta, "eta") { return problem }
    if let problem = Self.dateProblem(expires, "expires") { return problem }
    if let soft = timeLimit.soft,
      let problem = TaskMessageLimits.timeLimit.problem(with: soft, name: "soft time limit")
    {
      return problem
    }
    if let hard = timeLimit.hard,
      let problem = TaskMessageLimits.timeLimit.problem(with: hard, name: "hard time limit")
    {
      return problem
    }
    if let priority, let problem = TaskPriority.problem(with: priority) { return problem }
    if let groupIndex, !(0...TaskMessageLimits.maximumGroupIndex).contains(Int64(groupIndex)) {
      return
        "group index must be from 0 to \(TaskMessageLimits.maximumGroupIndex), not \(groupIndex)"
    }
    if !(0...TaskMessageLimits.maximumRetries).contains(retries) {
      return "retries must be from 0 to \(TaskMessageLimits.maximumRetries), not \(retries)"
    }
    if !(0...TaskMessageLimits.maximumRedeliveries).contains(options.maxRedeliveries) {
      return
        "max redeliveries must be from 0 to \(TaskMessageLimits.maximumRedeliveries), not \(options.maxRedeliveries)"
    }
    return nil
  }

  /// Throws ``CeleriacError`` `.malformedMessage` naming the task and the first problem.
  public func validate() throws(CeleriacError) {
    if let problem = validationProblem {
      throw CeleriacError(.malformedMessage, "task \(id) (\(name)): \(problem)")
    }
  }

  private static func nameProblem(_ value: String, _ what: String) -> String? {
    if value.isEmpty { return "\(what) is empty" }
    if value.utf8.count > TaskMessageLimits.maximumNameLength {
      return "\(what) is longer than \(TaskMessageLimits.maximumNameLength) bytes"
    }
    return nil
  }

  private static func dateProblem(_ date: Date?, _ what: String) -> String? {
    guard let date else { return nil }
    let seconds = date.timeIntervalSince1970
    guard seconds.isFinite, date >= TaskMessageLimits.earliestDate,
      date <= TaskMessageLimits.latestDate
    else {
      return "\(what) is outside the years 1 to 9999"
    }
    return nil
  }
}
