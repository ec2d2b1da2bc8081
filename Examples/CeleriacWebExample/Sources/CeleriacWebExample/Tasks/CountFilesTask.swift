import Celeriac
import Foundation

/// `example.count_files(path)`: walks the directory tree at `path` (not following symbolic
/// links) and counts its files, folders and bytes, reporting the running count.
struct CountFilesTask: TaskDefinition {
  static let name = "example.count_files"
  /// How many entries pass between two progress reports.
  static let reportInterval = 500

  struct Arguments: Codable, Sendable { var path: String }

  /// What was found.
  struct Count: Codable, Sendable {
    var path: String
    var files = 0
    var directories = 0
    var bytes: Int64 = 0
  }

  func run(_ arguments: Arguments, context: TaskContext) async throws -> Count {
    let path = arguments.path
    var isDirectory: ObjCBool = false
    guard path.hasPrefix("/") else {
      throw TaskFailure(type: "ValueError", message: "give an absolute path, like /usr/share")
    }
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw TaskFailure(type: "FileNotFoundError", message: "\(path) does not exist")
    }
    guard isDirectory.boolValue else {
      throw TaskFailure(type: "NotADirectoryError", message: "\(path) is a file, not a directory")
    }
    let keys: [URLResourceKey] = [.isDirectoryKey, .fileSizeKey, .isSymbolicLinkKey]
    guard
      let walker = FileManager.default.enumerator(
        at: URL(fileURLWithPath: path), includingPropertiesForKeys: keys)
    else { throw TaskFailure(type: "PermissionError", message: "cannot read \(path)") }
    var count = Count(path: path)
    var seen = 0
    for case let url as URL in walker {
      let values = try? url.resourceValues(forKeys: Set(keys))
      if values?.isSymbolicLink == true { continue }
      if values?.isDirectory == true {
        count.directories += 1
      } else {
        count.files += 1
        count.bytes += Int64(values?.fileSize ?? 0)
      }
      seen += 1
      if seen % Self.reportInterval == 0 {
        try context.checkSoftTimeLimit()
        context.reportProgress([
          "files": .int(Int64(count.files)), "directories": .int(Int64(count.directories)),
        ])
      }
    }
    return count
  }
}
