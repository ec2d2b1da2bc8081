import Celeriac
import Foundation

/// `example.thumbnail(input, output)`: reads the uploaded PNG at `input`, shrinks it to fit
/// a ``defaultSize`` square and writes the thumbnail PNG at `output`. Progress is rows done.
struct ThumbnailTask: TaskDefinition {
  static let name = "example.thumbnail"
  /// The thumbnail's longest side, in pixels.
  static let defaultSize = 160

  struct Arguments: Codable, Sendable {
    var input: String
    var output: String
  }

  /// What the page shows.
  struct Thumbnail: Codable, Sendable {
    var width: Int
    var height: Int
    var originalWidth: Int
    var originalHeight: Int
  }

  func run(_ arguments: Arguments, context: TaskContext) async throws -> Thumbnail {
    let data: [UInt8]
    do {
      data = Array(try Data(contentsOf: URL(fileURLWithPath: arguments.input)))
    } catch {
      throw TaskFailure(
        type: "FileNotFoundError", message: "the upload is gone: \(arguments.input)")
    }
    let image: RGBImage
    do {
      image = try PNGDecoder.decode(data)
    } catch {
      throw TaskFailure(type: "ValueError", message: error.message)
    }
    let size = ImageScaler.fittedSize(
      width: image.width, height: image.height, limit: Self.defaultSize)
    let reportEvery = max(1, size.height / 10)
    let small = try ImageScaler.scale(image, toWidth: size.width, height: size.height) { rows in
      try context.checkSoftTimeLimit()
      if rows % reportEvery == 0 {
        context.reportProgress(["current": .int(Int64(rows)), "total": .int(Int64(size.height))])
      }
    }
    do {
      try Data(try PNGEncoder.encode(small)).write(to: URL(fileURLWithPath: arguments.output))
    } catch {
      throw TaskFailure(type: "OSError", message: "cannot write the thumbnail: \(error)")
    }
    return Thumbnail(
      width: size.width, height: size.height, originalWidth: image.width,
      originalHeight: image.height)
  }
}
