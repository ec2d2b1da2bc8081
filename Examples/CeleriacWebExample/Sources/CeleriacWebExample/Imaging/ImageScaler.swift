/// Shrinks pictures by averaging the source pixels under each target pixel (box filter).
enum ImageScaler {
  /// The size of `width`×`height` scaled to fit a `limit`×`limit` square, keeping the aspect
  /// ratio; never larger than the original.
  static func fittedSize(width: Int, height: Int, limit: Int) -> (width: Int, height: Int) {
    let scale = min(1, Double(limit) / Double(max(width, height)))
    return (
      max(1, Int((Double(width) * scale).rounded())),
      max(1, Int((Double(height) * scale).rounded()))
    )
  }

  /// `image` shrunk to `width`×`height`; `progress` is called with the rows done so far.
  static func scale(
    _ image: RGBImage, toWidth width: Int, height: Int, progress: (Int) throws -> Void
  ) rethrows -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for row in 0..<height {
      let top = row * image.height / height
      let bottom = max(top + 1, (row + 1) * image.height / height)
      for column in 0..<width {
        let left = column * image.width / width
        let right = max(left + 1, (column + 1) * image.width / width)
        var sums = (0, 0, 0)
        for y in top..<bottom {
          for x in left..<right {
            let source = (y * image.width + x) * 3
            sums.0 += Int(image.pixels[source])
            sums.1 += Int(image.pixels[source + 1])
            sums.2 += Int(image.pixels[source + 2])
          }
        }
        let area = (bottom - top) * (right - left)
        let target = (row * width + column) * 3
        pixels[target] = UInt8(sums.0 / area)
        pixels[target + 1] = UInt8(sums.1 / area)
        pixels[target + 2] = UInt8(sums.2 / area)
      }
      try progress(row + 1)
    }
    return RGBImage(width: width, height: height, pixels: pixels)
  }
}
