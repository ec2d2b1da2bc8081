import ArgumentParser

/// Checks task ids given on the command line.
enum TaskIDArguments {
  /// The most ids one command takes.
  static let maximumCount = 10_000
  /// The longest id accepted.
  static let maximumLength = 256

  static func validate(_ ids: [String]) throws {
    guard !ids.isEmpty else { throw ValidationError("give at least one task id") }
    guard ids.count <= maximumCount else {
      throw ValidationError("more than \(maximumCount) task ids")
    }
    if let bad = ids.first(where: { $0.isEmpty || $0.utf8.count > maximumLength }) {
      throw ValidationError("not a task id: \(bad.prefix(40))")
    }
  }
}
