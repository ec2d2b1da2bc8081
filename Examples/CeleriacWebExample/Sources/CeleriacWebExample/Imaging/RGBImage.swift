/// An 8-bit RGB picture, rows top to bottom, three bytes per pixel.
struct RGBImage: Sendable {
  /// Pixels across.
  let width: Int
  /// Pixels down.
  let height: Int
  /// `width × height × 3` bytes.
  let pixels: [UInt8]
}
