import CeleriacHummingbird
import Hummingbird

/// The example's request context: Celeriac's, with room for image uploads.
struct ExampleRequestContext: CeleriacRequestContext {
  /// The largest request body accepted (an uploaded image).
  static let largestUpload = 16 * 1024 * 1024

  var coreContext: CoreRequestContextStorage
  var celeriacApp: CeleriacApp?

  init(source: Source) {
    coreContext = .init(source: source)
    celeriacApp = nil
  }

  var maxUploadSize: Int { Self.largestUpload }
}
