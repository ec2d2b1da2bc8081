import Celeriac
import Foundation

/// `tasks.count_files(path)`: walks a directory tree and counts files, folders and bytes.
struct CountFiles: TaskDefinition {
  static let name = "tasks.count_files"
  static let parameters = ["path"]
  struct Arguments: Codable, Sendable { var path: String }
  struct Summary: Codable, Sendable {
    var files = 0
    var directories = 0
    var bytes: Int64 = 0
  }

  func run(_ arguments: Arguments, context: TaskContext) async throws -> Summary {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: arguments.path, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      throw TaskFailure(type: "FileNotFoundError", message: "no such directory: \(arguments.path)")
    }
    let keys: [URLResourceKey] = [.isDirectoryKey, .fileSizeKey, .isSymbolicLinkKey]
    guard
      let walker = FileManager.default.enumerator(
        at: URL(fileURLWithPath: arguments.path), includingPropertiesForKeys: keys)
    else {
      throw TaskFailure(type: "OSError", message: "cannot walk \(arguments.path)")
    }
    var summary = Summary()
    for case let url as URL in walker {
      let values = try? url.resourceValues(forKeys: Set(keys))
      if values?.isSymbolicLink == true { continue }
      if values?.isDirectory == true {
        summary.directories += 1
      } else {
        summary.files += 1
        summary.bytes += Int64(values?.fileSize ?? 0)
      }
      if summary.files % 1000 == 0 { try context.checkSoftTimeLimit() }
    }
    return summary
  }
}
