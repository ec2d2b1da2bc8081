import CZlib

/// zlib's one-shot `compress2` and `uncompress`, for PNG's image data.
enum Zlib {
  /// The compression level used for thumbnails (zlib's default trade-off).
  static let compressionLevel: Int32 = 6

  /// `data` compressed into one zlib stream.
  static func compress(_ data: [UInt8]) throws(ImageError) -> [UInt8] {
    var length = compressBound(uLong(data.count))
    var output = [UInt8](repeating: 0, count: Int(length))
    let status = output.withUnsafeMutableBufferPointer { target in
      data.withUnsafeBufferPointer { source in
        compress2(
          target.baseAddress, &length, source.baseAddress, uLong(source.count), compressionLevel)
      }
    }
    guard status == Z_OK else {
      throw ImageError(.encodingFailed, "zlib compress2 failed: \(status)")
    }
    return Array(output.prefix(Int(length)))
  }

  /// The zlib stream `data` inflated; it must inflate to exactly `expectedLength` bytes.
  static func decompress(_ data: [UInt8], expectedLength: Int) throws(ImageError) -> [UInt8] {
    var length = uLong(expectedLength)
    var output = [UInt8](repeating: 0, count: expectedLength)
    let status = output.withUnsafeMutableBufferPointer { target in
      data.withUnsafeBufferPointer { source in
        uncompress(target.baseAddress, &length, source.baseAddress, uLong(source.count))
      }
    }
    guard status == Z_OK, Int(length) == expectedLength else {
      throw ImageError(.malformedImage, "the PNG's image data is damaged (zlib status \(status))")
    }
    return output
  }
}
