import Celeriac
import Foundation

/// `example.report(title, limit, output)`: a PDF report listing the primes up to `limit`,
/// ten to a line, with a page count; progress is pages written.
struct ReportTask: TaskDefinition {
  static let name = "example.report"
  /// The largest `limit` accepted.
  static let largestLimit = 2_000_000
  /// Primes per line of the report.
  static let primesPerLine = 10

  struct Arguments: Codable, Sendable {
    var title: String
    var limit: String
    var output: String
  }

  /// What the page links to.
  struct Report: Codable, Sendable {
    var pages: Int
    var primes: Int
    var bytes: Int
  }

  func run(_ arguments: Arguments, context: TaskContext) async throws -> Report {
    let title = arguments.title.trimmingCharacters(in: .whitespaces)
    guard !title.isEmpty else {
      throw TaskFailure(type: "ValueError", message: "the report needs a title")
    }
    guard let limit = Int(arguments.limit.trimmingCharacters(in: .whitespaces)),
      (2...Self.largestLimit).contains(limit)
    else {
      throw TaskFailure(
        type: "ValueError",
        message:
          "the limit must be a whole number from 2 to \(Self.largestLimit), got '\(arguments.limit)'"
      )
    }
    let primes = sieve(upTo: limit)
    let lines = stride(from: 0, to: primes.count, by: Self.primesPerLine).map { start in
      primes[start..<min(start + Self.primesPerLine, primes.count)].map(String.init)
        .joined(separator: "  ")
    }
    let pageCount = max(1, (lines.count + PDFDocument.linesPerPage - 1) / PDFDocument.linesPerPage)
    var document = PDFDocument(title: "\(title): the \(primes.count) primes up to \(limit)")
    for page in 0..<pageCount {
      try context.checkSoftTimeLimit()
      let start = page * PDFDocument.linesPerPage
      document.addPage(
        Array(lines[min(start, lines.count)..<min(start + PDFDocument.linesPerPage, lines.count)]))
      context.reportProgress(["current": .int(Int64(page + 1)), "total": .int(Int64(pageCount))])
    }
    let data = document.render()
    do {
      try data.write(to: URL(fileURLWithPath: arguments.output))
    } catch {
      throw TaskFailure(type: "OSError", message: "cannot write the report: \(error)")
    }
    return Report(pages: pageCount, primes: primes.count, bytes: data.count)
  }

  /// The primes up to `limit` (sieve of Eratosthenes).
  private func sieve(upTo limit: Int) -> [Int] {
    var composite = [Bool](repeating: false, count: limit + 1)
    var primes: [Int] = []
    for candidate in 2...limit where !composite[candidate] {
      primes.append(candidate)
      var multiple = candidate * candidate
      while multiple <= limit {
        composite[multiple] = true
        multiple += candidate
      }
    }
    return primes
  }
}
