import Celeriac
import Foundation

/// `tasks.render_pdf(output, title, lines)`: writes a one-page PDF report (Helvetica text).
struct RenderPDF: TaskDefinition {
  static let name = "tasks.render_pdf"
  static let parameters = ["output", "title", "lines"]
  struct Arguments: Codable, Sendable {
    var output: String
    var title: String
    var lines: [String]?
  }

  func run(_ arguments: Arguments, context: TaskContext) async throws -> Int {
    var text = "BT /F1 18 Tf 72 770 Td (\(escape(arguments.title))) Tj ET\n"
    for (index, line) in (arguments.lines ?? []).prefix(40).enumerated() {
      text += "BT /F1 11 Tf 72 \(740 - index * 16) Td (\(escape(line))) Tj ET\n"
    }
    let objects = [
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length \(text.utf8.count) >>\nstream\n\(text)endstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    var document = "%PDF-1.4\n"
    var offsets: [Int] = []
    for (index, object) in objects.enumerated() {
      offsets.append(document.utf8.count)
      document += "\(index + 1) 0 obj\n\(object)\nendobj\n"
    }
    let xref = document.utf8.count
    document += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
    for offset in offsets { document += String(format: "%010d 00000 n \n", offset) }
    document += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
    do {
      try Data(document.utf8).write(to: URL(fileURLWithPath: arguments.output))
    } catch {
      throw TaskFailure(
        type: "OSError", message: "cannot write \(arguments.output): \(error.localizedDescription)")
    }
    return document.utf8.count
  }

  private func escape(_ text: String) -> String {
    String(
      text.unicodeScalars.filter { $0.isASCII }.map(String.init).joined()
        .replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "(", with: "\\(")
        .replacingOccurrences(of: ")", with: "\\)"))
  }
}
