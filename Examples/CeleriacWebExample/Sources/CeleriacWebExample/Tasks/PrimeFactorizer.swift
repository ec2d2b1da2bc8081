/// Primality and factoring for 64-bit numbers.
enum PrimeFactorizer {
  /// Witnesses that make Miller–Rabin exact for every 64-bit number.
  static let witnesses: [UInt64] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]

  /// `a × b mod m` without overflow.
  static func mulmod(_ a: UInt64, _ b: UInt64, _ m: UInt64) -> UInt64 {
    let wide = a.multipliedFullWidth(by: b)
    return m.dividingFullWidth((wide.high, wide.low)).remainder
  }

  /// `base ^ exponent mod m`.
  static func powmod(_ base: UInt64, _ exponent: UInt64, _ m: UInt64) -> UInt64 {
    var (result, base, exponent) = (UInt64(1), base % m, exponent)
    while exponent > 0 {
      if exponent & 1 == 1 { result = mulmod(result, base, m) }
      base = mulmod(base, base, m)
      exponent >>= 1
    }
    return result
  }

  /// Whether `n` is prime (deterministic Miller–Rabin).
  static func isPrime(_ n: UInt64) -> Bool {
    guard n >= 2 else { return false }
    for witness in witnesses where n % witness == 0 { return n == witness }
    let shifts = (n - 1).trailingZeroBitCount
    let odd = (n - 1) >> shifts
    return witnesses.allSatisfy { witness in
      var x = powmod(witness, odd, n)
      if x == 1 || x == n - 1 { return true }
      for _ in 1..<max(shifts, 1) {
        x = mulmod(x, x, n)
        if x == n - 1 { return true }
      }
      return false
    }
  }

  /// A divisor of the composite `n` other than 1 and `n` (Pollard's rho, Floyd cycles).
  static func divisor(of n: UInt64) -> UInt64 {
    if n % 2 == 0 { return 2 }
    for increment in UInt64(1)... {
      let step = { (x: UInt64) in (mulmod(x, x, n) &+ increment) % n }
      var (slow, fast, found) = (UInt64(2), UInt64(2), UInt64(1))
      while found == 1 {
        slow = step(slow)
        fast = step(step(fast))
        found = gcd(slow > fast ? slow - fast : fast - slow, n)
      }
      if found != n { return found }
    }
    return n
  }

  /// The greatest common divisor.
  static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
  }
}
