/// Writes an ``RGBImage`` as an 8-bit RGB PNG (zlib-compressed, filter None).
enum PNGEncoder {
  /// The PNG file for `image`.
  static func encode(_ image: RGBImage) throws(ImageError) -> [UInt8] {
    var raw = [UInt8]()
    raw.reserveCapacity((image.width * 3 + 1) * image.height)
    for row in 0..<image.height {
      raw.append(0)
      raw.append(contentsOf: image.pixels[(row * image.width * 3)..<((row + 1) * image.width * 3)])
    }
    var header = bigEndian(UInt32(image.width)) + bigEndian(UInt32(image.height))
    header += [8, 2, 0, 0, 0]
    var file = PNGDecoder.signature
    file += chunk("IHDR", header)
    file += chunk("IDAT", try Zlib.compress(raw))
    file += chunk("IEND", [])
    return file
  }

  private static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
    let typed = Array(type.utf8) + body
    return bigEndian(UInt32(body.count)) + typed + bigEndian(CRC32.checksum(typed))
  }

  private static func bigEndian(_ value: UInt32) -> [UInt8] {
    [
      UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF),
      UInt8(value & 0xFF),
    ]
  }
}
