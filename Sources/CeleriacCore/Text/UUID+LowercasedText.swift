import Foundation

extension UUID {
  /// The UUID as Celery and kombu write ids: lowercase hex in 8-4-4-4-12 groups
  /// (`uuidString.lowercased()`).
  ///
  /// Written digit by digit into 36 bytes. `uuidString` formats through `snprintf` and
  /// `lowercased()` makes a second string: together about 7,000 instructions, and a producer
  /// makes two ids for every message it sends (the task id and the delivery tag).
  public var lowercasedText: String {
    let hex: StaticString = "0123456789abcdef"
    return withUnsafeBytes(of: uuid) { raw in
      String(unsafeUninitializedCapacity: 36) { text in
        hex.withUTF8Buffer { digits in
          var position = 0
          for (index, byte) in raw.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 {
              text[position] = UInt8(ascii: "-")
              position += 1
            }
            text[position] = digits[Int(byte >> 4)]
            text[position + 1] = digits[Int(byte & 0x0F)]
            position += 2
          }
        }
        return 36
      }
    }
  }
}
