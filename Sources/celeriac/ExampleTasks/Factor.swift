import Celeriac

/// `tasks.factor(n)`: the prime factors of `n` (Pollard's rho with Miller–Rabin), ascending.
struct Factor: TaskDefinition {
  static let name = "tasks.factor"
  static let parameters = ["n"]
  struct Arguments: Codable, Sendable { var n: UInt64 }

  func run(_ arguments: Arguments, context: TaskContext) async throws -> [UInt64] {
    guard arguments.n >= 2 else {
      throw TaskFailure(type: "ValueError", message: "factor(n) needs n >= 2, got \(arguments.n)")
    }
    var factors: [UInt64] = []
    var stack = [arguments.n]
    while let value = stack.popLast() {
      try context.checkSoftTimeLimit()
      if value == 1 { continue }
      if PrimeMath.isPrime(value) {
        factors.append(value)
        continue
      }
      let divisor = PrimeMath.findDivisor(value)
      stack.append(divisor)
      stack.append(value / divisor)
    }
    return factors.sorted()
  }
}

/// Number theory on 64-bit integers.
enum PrimeMath {
  static func multiplyModulo(_ a: UInt64, _ b: UInt64, _ modulus: UInt64) -> UInt64 {
    let product = a.multipliedFullWidth(by: b)
    return modulus.dividingFullWidth((product.high, product.low)).remainder
  }

  static func powerModulo(_ base: UInt64, _ exponent: UInt64, _ modulus: UInt64) -> UInt64 {
    var result: UInt64 = 1
    var base = base % modulus
    var exponent = exponent
    while exponent > 0 {
      if exponent & 1 == 1 { result = multiplyModulo(result, base, modulus) }
      base = multiplyModulo(base, base, modulus)
      exponent >>= 1
    }
    return result
  }

  /// Deterministic Miller–Rabin for every 64-bit integer.
  static func isPrime(_ n: UInt64) -> Bool {
    if n < 2 { return false }
    let witnesses: [UInt64] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]
    for prime in witnesses where n % prime == 0 { return n == prime }
    var d = n - 1
    var shifts = 0
    while d & 1 == 0 {
      d >>= 1
      shifts += 1
    }
    witnessLoop: for witness in witnesses {
      var x = powerModulo(witness, d, n)
      if x == 1 || x == n - 1 { continue }
      for _ in 0..<max(shifts - 1, 0) {
        x = multiplyModulo(x, x, n)
        if x == n - 1 { continue witnessLoop }
      }
      return false
    }
    return true
  }

  /// A non-trivial divisor of the composite `n`.
  static func findDivisor(_ n: UInt64) -> UInt64 {
    if n % 2 == 0 { return 2 }
    var constant: UInt64 = 1
    while true {
      var x: UInt64 = 2
      var y: UInt64 = 2
      var divisor: UInt64 = 1
      while divisor == 1 {
        x = (multiplyModulo(x, x, n) &+ constant) % n
        y = (multiplyModulo(y, y, n) &+ constant) % n
        y = (multiplyModulo(y, y, n) &+ constant) % n
        divisor = gcd(x > y ? x - y : y - x, n)
      }
      if divisor != n { return divisor }
      constant += 1
    }
  }

  static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
  }
}
