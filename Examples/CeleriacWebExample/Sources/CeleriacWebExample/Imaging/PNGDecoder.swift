/// Reads a PNG into an ``RGBImage``: colour types grey, RGB, palette, grey+alpha and RGBA, at
/// 8 or 16 bits per sample (palette at 8), not interlaced; alpha is blended over white.
enum PNGDecoder {
  /// The most pixels accepted (a 40-megapixel picture is 120 MB of RGB).
  static let maximumPixels = 40_000_000
  /// The eight bytes every PNG starts with.
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  private struct Header {
    var width: Int
    var height: Int
    var bitDepth: Int
    var colorType: Int
    var interlaced: Bool

    /// Samples per pixel for the colour type.
    var channels: Int {
      switch colorType {
      case 0, 3: 1
      case 4: 2
      case 2: 3
      default: 4
      }
    }
  }

  /// Decodes `data`.
  ///
  /// - Throws: ``ImageError`` naming what is wrong with the file.
  static func decode(_ data: [UInt8]) throws(ImageError) -> RGBImage {
    guard data.count > signature.count, Array(data.prefix(signature.count)) == signature else {
      throw ImageError(.notPNG, "the file is not a PNG image")
    }
    var offset = signature.count
    var header: Header?
    var palette: [UInt8] = []
    var compressed: [UInt8] = []
    while offset + 8 <= data.count {
      let length = Int(readUInt32(data, offset))
      let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
      let start = offset + 8
      guard length <= data.count - start - 4 else {
        throw ImageError(.malformedImage, "the PNG is cut short (chunk \(type))")
      }
      let body = data[start..<(start + length)]
      switch type {
      case "IHDR": header = try readHeader(Array(body))
      case "PLTE": palette = Array(body)
      case "IDAT": compressed.append(contentsOf: body)
      default: break
      }
      offset = start + length + 4
      if type == "IEND" { break }
    }
    guard let header else { throw ImageError(.malformedImage, "the PNG has no IHDR chunk") }
    guard !compressed.isEmpty else {
      throw ImageError(.malformedImage, "the PNG has no image data")
    }
    let bytesPerSample = header.bitDepth / 8
    let bytesPerPixel = header.channels * bytesPerSample
    let rowLength = header.width * bytesPerPixel
    let raw = try Zlib.decompress(compressed, expectedLength: (rowLength + 1) * header.height)
    let rows = try unfilter(raw, rowLength: rowLength, height: header.height, step: bytesPerPixel)
    if header.colorType == 3 && palette.isEmpty {
      throw ImageError(.malformedImage, "the palette PNG has no PLTE chunk")
    }
    return convert(rows, header: header, palette: palette, bytesPerSample: bytesPerSample)
  }

  private static func readUInt32(_ data: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8
      | UInt32(data[offset + 3])
  }

  private static func readHeader(_ body: [UInt8]) throws(ImageError) -> Header {
    guard body.count == 13 else { throw ImageError(.malformedImage, "the PNG header is damaged") }
    let header = Header(
      width: Int(readUInt32(body, 0)), height: Int(readUInt32(body, 4)), bitDepth: Int(body[8]),
      colorType: Int(body[9]), interlaced: body[12] != 0)
    guard header.width > 0, header.height > 0 else {
      throw ImageError(.malformedImage, "the PNG has no pixels")
    }
    guard header.width * header.height <= maximumPixels else {
      throw ImageError(
        .tooLarge,
        "the image is \(header.width)×\(header.height): at most \(maximumPixels / 1_000_000) megapixels"
      )
    }
    guard [0, 2, 3, 4, 6].contains(header.colorType) else {
      throw ImageError(.malformedImage, "the PNG has an unknown colour type \(header.colorType)")
    }
    let depths = header.colorType == 3 ? [8] : [8, 16]
    guard depths.contains(header.bitDepth), !header.interlaced else {
      throw ImageError(
        .unsupported,
        "this PNG kind is not supported (\(header.bitDepth)-bit, colour type \(header.colorType)"
          + (header.interlaced ? ", interlaced" : "") + "): save it as an 8-bit RGB PNG")
    }
    return header
  }

  /// Reverses PNG's per-row filters (None, Sub, Up, Average, Paeth).
  private static func unfilter(_ raw: [UInt8], rowLength: Int, height: Int, step: Int)
    throws(ImageError) -> [UInt8]
  {
    var output = [UInt8](repeating: 0, count: rowLength * height)
    for row in 0..<height {
      let filter = raw[row * (rowLength + 1)]
      let input = row * (rowLength + 1) + 1
      let target = row * rowLength
      for index in 0..<rowLength {
        let value = raw[input + index]
        let left = index >= step ? Int(output[target + index - step]) : 0
        let up = row > 0 ? Int(output[target - rowLength + index]) : 0
        let upLeft = row > 0 && index >= step ? Int(output[target - rowLength + index - step]) : 0
        let predicted: Int
        switch filter {
        case 0: predicted = 0
        case 1: predicted = left
        case 2: predicted = up
        case 3: predicted = (left + up) / 2
        case 4: predicted = paeth(left, up, upLeft)
        default: throw ImageError(.malformedImage, "the PNG has an unknown row filter \(filter)")
        }
        output[target + index] = value &+ UInt8(truncatingIfNeeded: predicted)
      }
    }
    return output
  }

  private static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
    let p = a + b - c
    let (pa, pb, pc) = (abs(p - a), abs(p - b), abs(p - c))
    if pa <= pb && pa <= pc { return a }
    return pb <= pc ? b : c
  }

  /// Turns unfiltered rows into RGB, taking the high byte of 16-bit samples and blending
  /// alpha over white.
  private static func convert(
    _ rows: [UInt8], header: Header, palette: [UInt8], bytesPerSample: Int
  ) -> RGBImage {
    let count = header.width * header.height
    var pixels = [UInt8](repeating: 0, count: count * 3)
    let stride = header.channels * bytesPerSample
    for pixel in 0..<count {
      let base = pixel * stride
      func sample(_ channel: Int) -> Int { Int(rows[base + channel * bytesPerSample]) }
      var (red, green, blue, alpha) = (0, 0, 0, 255)
      switch header.colorType {
      case 0: (red, green, blue) = (sample(0), sample(0), sample(0))
      case 2: (red, green, blue) = (sample(0), sample(1), sample(2))
      case 3:
        let entry = min(sample(0) * 3, max(palette.count - 3, 0))
        (red, green, blue) = (Int(palette[entry]), Int(palette[entry + 1]), Int(palette[entry + 2]))
      case 4: (red, green, blue, alpha) = (sample(0), sample(0), sample(0), sample(1))
      default: (red, green, blue, alpha) = (sample(0), sample(1), sample(2), sample(3))
      }
      func blend(_ value: Int) -> UInt8 { UInt8((value * alpha + 255 * (255 - alpha)) / 255) }
      pixels[pixel * 3] = blend(red)
      pixels[pixel * 3 + 1] = blend(green)
      pixels[pixel * 3 + 2] = blend(blue)
    }
    return RGBImage(width: header.width, height: header.height, pixels: pixels)
  }
}
