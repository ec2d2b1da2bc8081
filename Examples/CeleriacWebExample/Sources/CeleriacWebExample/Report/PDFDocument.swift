import Foundation

/// A minimal PDF 1.4 writer: pages of Helvetica text lines on US Letter paper.
struct PDFDocument {
  /// Page width and height in points (US Letter).
  static let pageSize = (width: 612, height: 792)
  /// Lines of body text that fit on one page.
  static let linesPerPage = 46

  private var pages: [[String]] = []
  private let title: String

  /// An empty document whose pages are headed with `title`.
  init(title: String) {
    self.title = title
  }

  /// Adds a page with `lines` (at most ``linesPerPage`` are shown).
  mutating func addPage(_ lines: [String]) {
    pages.append(Array(lines.prefix(Self.linesPerPage)))
  }

  /// The number of pages so far.
  var pageCount: Int { pages.count }

  /// The document's bytes.
  func render() -> Data {
    // Objects: 1 catalog, 2 page tree, 3 font, then a page and its content per page.
    var objects = [
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [\(pages.indices.map { "\(4 + $0 * 2) 0 R" }.joined(separator: " "))] /Count \(pages.count) >>",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for (index, lines) in pages.enumerated() {
      var text = "BT /F1 16 Tf 56 740 Td (\(Self.escape(title))) Tj ET\n"
      text += "BT /F1 9 Tf 56 40 Td (page \(index + 1) of \(pages.count)) Tj ET\n"
      for (row, line) in lines.enumerated() {
        text += "BT /F1 10 Tf 56 \(712 - row * 14) Td (\(Self.escape(line))) Tj ET\n"
      }
      objects.append(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(Self.pageSize.width) \(Self.pageSize.height)]"
          + " /Contents \(5 + index * 2) 0 R /Resources << /Font << /F1 3 0 R >> >> >>")
      objects.append("<< /Length \(text.utf8.count) >>\nstream\n\(text)endstream")
    }
    var document = "%PDF-1.4\n"
    var offsets: [Int] = []
    for (index, object) in objects.enumerated() {
      offsets.append(document.utf8.count)
      document += "\(index + 1) 0 obj\n\(object)\nendobj\n"
    }
    let table = document.utf8.count
    document += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
    for offset in offsets { document += String(format: "%010d 00000 n \n", offset) }
    document +=
      "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(table)\n%%EOF\n"
    return Data(document.utf8)
  }

  /// `text` as a PDF string body: ASCII only, with `\`, `(` and `)` escaped.
  private static func escape(_ text: String) -> String {
    var escaped = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\\", "(", ")": escaped += "\\" + String(scalar)
      case _ where scalar.isASCII && scalar.value >= 32: escaped.unicodeScalars.append(scalar)
      default: escaped += "?"
      }
    }
    return escaped
  }
}
