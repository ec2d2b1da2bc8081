import Foundation
import Testing

@Suite("docs/grafana-dashboard.json uses only the metrics docs/metrics.md documents")
struct GrafanaDashboardTests {
  static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../docs").standardized

  /// Every `celeriac_…` name in `text`, with a histogram's `_bucket`/`_sum`/`_count` removed.
  static func metricNames(in text: String) throws -> Set<String> {
    let pattern = try NSRegularExpression(pattern: "celeriac_[a-z_]+")
    let range = NSRange(text.startIndex..., in: text)
    return Set(
      pattern.matches(in: text, range: range).compactMap { match in
        Range(match.range, in: text).map { String(text[$0]) }
      }.map { name in
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
          return String(name.dropLast(suffix.count))
        }
        return name
      })
  }

  @Test("the dashboard is JSON with panels, and every metric it queries is documented")
  func onlyDocumentedMetrics() throws {
    let dashboard = try String(
      contentsOf: Self.docs.appendingPathComponent("grafana-dashboard.json"), encoding: .utf8)
    let parsed = try JSONSerialization.jsonObject(with: Data(dashboard.utf8)) as? [String: Any]
    let panels = try #require(parsed?["panels"] as? [[String: Any]])
    #expect(panels.count >= 6)
    let documented = try Self.metricNames(
      in: try String(contentsOf: Self.docs.appendingPathComponent("metrics.md"), encoding: .utf8))
    let queried = try Self.metricNames(in: dashboard)
    #expect(!queried.isEmpty)
    #expect(
      queried.subtracting(documented).isEmpty, "undocumented: \(queried.subtracting(documented))")
  }
}
