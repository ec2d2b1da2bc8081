import Foundation

/// The parts of a `multipart/form-data` body, by field name: what a browser sends for a form
/// with a file input.
struct MultipartForm {
  /// One field: its value's bytes and, for a file, the file's name.
  struct Part {
    var fileName: String?
    var data: [UInt8]
  }

  /// The fields in the body.
  let parts: [String: Part]

  /// Splits `body` on the boundary named by `contentType`; `nil` when the request is not
  /// `multipart/form-data` with a boundary.
  init?(contentType: String, body: [UInt8]) {
    guard contentType.lowercased().hasPrefix("multipart/form-data"),
      let range = contentType.range(of: "boundary=")
    else { return nil }
    var boundary = String(contentType[range.upperBound...])
    if let end = boundary.firstIndex(of: ";") { boundary = String(boundary[..<end]) }
    boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
    let delimiter = Array("--\(boundary)".utf8)
    var parts: [String: Part] = [:]
    var sections = Self.split(body, on: delimiter)
    if !sections.isEmpty { sections.removeFirst() }  // The preamble.
    for section in sections {
      if section.starts(with: Array("--".utf8)) { break }  // The closing delimiter.
      guard let headerEnd = Self.find(Array("\r\n\r\n".utf8), in: section, from: 0) else {
        continue
      }
      let headers = String(decoding: section[..<headerEnd], as: UTF8.self)
      var content = Array(section[(headerEnd + 4)...])
      if content.suffix(2) == Array("\r\n".utf8) { content.removeLast(2) }
      guard let name = Self.attribute("name", in: headers) else { continue }
      parts[name] = Part(fileName: Self.attribute("filename", in: headers), data: content)
    }
    self.parts = parts
  }

  /// `attribute="value"` in a part's `Content-Disposition` header.
  private static func attribute(_ attribute: String, in headers: String) -> String? {
    guard let range = headers.range(of: " \(attribute)=\"") ?? headers.range(of: ";\(attribute)=\"")
    else { return nil }
    let rest = headers[range.upperBound...]
    guard let end = rest.firstIndex(of: "\"") else { return nil }
    return String(rest[..<end])
  }

  private static func split(_ bytes: [UInt8], on delimiter: [UInt8]) -> [ArraySlice<UInt8>] {
    var sections: [ArraySlice<UInt8>] = []
    var start = 0
    while let found = find(delimiter, in: bytes[...], from: start) {
      sections.append(bytes[start..<found])
      start = found + delimiter.count
      if start + 2 <= bytes.count, bytes[start] == 13, bytes[start + 1] == 10 { start += 2 }
    }
    sections.append(bytes[start...])
    return sections
  }

  private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, from start: Int)
    -> Int?
  {
    guard let first = needle.first, haystack.count >= needle.count else { return nil }
    var index = max(start, haystack.startIndex)
    let last = haystack.endIndex - needle.count
    while index <= last {
      if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle)
      {
        return index
      }
      index += 1
    }
    return nil
  }
}
