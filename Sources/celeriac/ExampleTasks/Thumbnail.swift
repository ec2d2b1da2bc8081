import Celeriac
import Foundation

/// `tasks.thumbnail(output, size)`: renders a Mandelbrot picture at 4× the size, scales it
/// down by box filtering to `size`×`size`, and writes it as a PNG. Returns the file's path.
struct Thumbnail: TaskDefinition {
  static let name = "tasks.thumbnail"
  static let parameters = ["output", "size"]
  struct Arguments: Codable, Sendable {
    var output: String
    var size: Int?
  }

  func run(_ arguments: Arguments, context: TaskContext) async throws -> String {
    let size = arguments.size ?? 64
    guard (8...1024).contains(size) else {
      throw TaskFailure(type: "ValueError", message: "thumbnail size must be 8...1024, got \(size)")
    }
    let full = size * 4
    let picture = renderMandelbrot(width: full, height: full)
    try context.checkSoftTimeLimit()
    let small = downscale(picture, from: full, by: 4)
    let png = PNGEncoder.encodeRGB(width: size, height: size, pixels: small)
    do {
      try png.write(to: URL(fileURLWithPath: arguments.output))
    } catch {
      throw TaskFailure(
        type: "OSError", message: "cannot write \(arguments.output): \(error.localizedDescription)")
    }
    return arguments.output
  }

  private func renderMandelbrot(width: Int, height: Int) -> [UInt8] {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for row in 0..<height {
      for column in 0..<width {
        let cx = Double(column) / Double(width) * 3.0 - 2.2
        let cy = Double(row) / Double(height) * 3.0 - 1.5
        var (x, y) = (0.0, 0.0)
        var iteration = 0
        while x * x + y * y < 4, iteration < 64 {
          (x, y) = (x * x - y * y + cx, 2 * x * y + cy)
          iteration += 1
        }
        let offset = (row * width + column) * 3
        pixels[offset] = UInt8(iteration * 4 % 256)
        pixels[offset + 1] = UInt8(iteration * 9 % 256)
        pixels[offset + 2] = UInt8(255 - iteration * 3)
      }
    }
    return pixels
  }

  private func downscale(_ pixels: [UInt8], from width: Int, by factor: Int) -> [UInt8] {
    let small = width / factor
    var output = [UInt8](repeating: 0, count: small * small * 3)
    for row in 0..<small {
      for column in 0..<small {
        for channel in 0..<3 {
          var sum = 0
          for dy in 0..<factor {
            for dx in 0..<factor {
              sum += Int(pixels[((row * factor + dy) * width + column * factor + dx) * 3 + channel])
            }
          }
          output[(row * small + column) * 3 + channel] = UInt8(sum / (factor * factor))
        }
      }
    }
    return output
  }
}

/// A minimal PNG writer: 8-bit RGB, stored (uncompressed) deflate blocks.
enum PNGEncoder {
  static func encodeRGB(width: Int, height: Int, pixels: [UInt8]) -> Data {
    var raw = [UInt8]()
    raw.reserveCapacity((width * 3 + 1) * height)
    for row in 0..<height {
      raw.append(0)
      raw.append(contentsOf: pixels[(row * width * 3)..<((row + 1) * width * 3)])
    }
    var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    var header = [UInt8]()
    header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    header += [8, 2, 0, 0, 0]
    png += chunk("IHDR", header)
    png += chunk("IDAT", zlibStored(raw))
    png += chunk("IEND", [])
    return png
  }

  private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var output: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
      let length = min(65_535, data.count - offset)
      let final: UInt8 = offset + length >= data.count ? 1 : 0
      output.append(final)
      output += [UInt8(length & 0xff), UInt8(length >> 8)]
      output += [UInt8(~length & 0xff), UInt8((~length >> 8) & 0xff)]
      output += data[offset..<(offset + length)]
      offset += length
    } while offset < data.count
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in data {
      a = (a + UInt32(byte)) % 65_521
      b = (b + a) % 65_521
    }
    return output + bigEndian(b << 16 | a)
  }

  private static func chunk(_ type: String, _ body: [UInt8]) -> Data {
    let typeBytes = Array(type.utf8)
    return Data(
      bigEndian(UInt32(body.count)) + typeBytes + body + bigEndian(crc32(typeBytes + body)))
  }

  private static func bigEndian(_ value: UInt32) -> [UInt8] {
    [
      UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff),
      UInt8(value & 0xff),
    ]
  }

  private static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }
}
