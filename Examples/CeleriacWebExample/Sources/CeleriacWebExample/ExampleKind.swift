/// The four kinds of work the example's pages offer.
enum ExampleKind: String, CaseIterable, Sendable {
  case thumbnail, report, factor, count

  /// The heading of the kind's form and task page.
  var title: String {
    switch self {
    case .thumbnail: "Thumbnail of an image"
    case .report: "PDF report of primes"
    case .factor: "Factor a large number"
    case .count: "Count the files under a directory"
    }
  }
}
