import Foundation

/// The task id of an entry's due time: a UUID-shaped string derived from the entry's name and
/// the due time (in milliseconds), the same in every beat process, so that the task for one
/// due time has one id however it was published.
public enum BeatTaskID {
  /// The id for `entry` at `due`.
  public static func make(entry: String, due: Date) -> String {
    let milliseconds = Int64((due.timeIntervalSince1970 * 1_000).rounded())
    let bytes = Array("celeriac.beat\u{0}\(entry)\u{0}\(milliseconds)".utf8)
    let high = fnv1a(bytes, basis: 0xcbf2_9ce4_8422_2325)
    let low = fnv1a(bytes, basis: 0x8422_2325_cbf2_9ce4)
    // Version 8 (custom) and the RFC 4122 variant, so that it reads as a UUID everywhere.
    let timeHigh = (high & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_8000
    let clock = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000
    let hex = hex64(timeHigh) + hex64(clock)
    let characters = Array(hex)
    func part(_ range: Range<Int>) -> String { String(characters[range]) }
    return [part(0..<8), part(8..<12), part(12..<16), part(16..<20), part(20..<32)]
      .joined(separator: "-")
  }

  private static func fnv1a(_ bytes: [UInt8], basis: UInt64) -> UInt64 {
    var hash = basis
    for byte in bytes {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    // A final avalanche (splitmix64's), so that nearby due times differ in every digit.
    hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
    hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
    return hash ^ (hash >> 31)
  }

  private static func hex64(_ value: UInt64) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: 16 - text.count) + text
  }
}
