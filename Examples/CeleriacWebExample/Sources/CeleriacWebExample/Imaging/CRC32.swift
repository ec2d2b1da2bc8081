import CZlib

/// PNG's chunk checksum (zlib's `crc32`).
enum CRC32 {
  /// The CRC-32 of `bytes`.
  static func checksum(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
  }
}
