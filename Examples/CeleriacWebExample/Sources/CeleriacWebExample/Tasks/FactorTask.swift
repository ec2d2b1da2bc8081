import Celeriac

/// `example.factor(number)`: the prime factors of a whole number given as text, 2 up to
/// `UInt64.max`, by Pollard's rho and Miller–Rabin. Text that is not such a number fails the
/// task with a `ValueError` the page shows.
struct FactorTask: TaskDefinition {
  static let name = "example.factor"

  struct Arguments: Codable, Sendable { var number: String }

  /// The number and its prime factors, ascending.
  struct Factorization: Codable, Sendable {
    var number: String
    var factors: [String]
  }

  func run(_ arguments: Arguments, context: TaskContext) async throws -> Factorization {
    let text = arguments.number.trimmingCharacters(in: .whitespaces)
    guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else {
      throw TaskFailure(type: "ValueError", message: "'\(text)' is not a whole number")
    }
    guard let number = UInt64(text) else {
      throw TaskFailure(
        type: "ValueError",
        message: "\(text) is too large: at most \(UInt64.max) (\(String(UInt64.max).count) digits)")
    }
    guard number >= 2 else {
      throw TaskFailure(type: "ValueError", message: "factoring needs a number of at least 2")
    }
    var factors: [UInt64] = []
    var remaining = [number]
    while let value = remaining.popLast() {
      try context.checkSoftTimeLimit()
      if value == 1 { continue }
      if PrimeFactorizer.isPrime(value) {
        factors.append(value)
        context.reportProgress(["found": .array(factors.sorted().map { .string(String($0)) })])
        continue
      }
      let divisor = PrimeFactorizer.divisor(of: value)
      remaining += [divisor, value / divisor]
    }
    return Factorization(number: String(number), factors: factors.sorted().map { String($0) })
  }
}
