import CeleriacCore

#if canImport(Glibc)
  import Glibc
#endif

/// Becomes readable when any process writes to the SQLite file's write-ahead log: inotify on
/// the file's folder, for `IN_MODIFY` of `<file>-wal` (the log may not exist yet).
///
/// Every committed write appends to the log, so a producer's publish wakes the supervisor at
/// once, and a worker's stored result wakes a waiting `get()`. A watcher's own writes wake it
/// too; that costs one extra look, not a loop (looking does not write).
final class SQLiteChangeSignal: ChangeSignal {
  let descriptor: Int32
  private let logName: String
  private var isOpen = true
  private var buffer = [UInt8](repeating: 0, count: 4096)

  /// Watches the log of the database at `path`; `nil` when inotify is unavailable.
  init?(databasePath path: String) {
    let folder: String
    let name: String
    if let slash = path.lastIndex(of: "/") {
      folder = slash == path.startIndex ? "/" : String(path[..<slash])
      name = String(path[path.index(after: slash)...])
    } else {
      folder = "."
      name = path
    }
    let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    guard fd >= 0 else { return nil }
    guard inotify_add_watch(fd, folder, UInt32(IN_MODIFY)) >= 0 else {
      Glibc.close(fd)
      return nil
    }
    descriptor = fd
    logName = name + "-wal"
  }

  /// Whether any of the pending events concerned the log; consumes them all.
  @discardableResult
  func drainReportingLogChanges() -> Bool {
    var changed = false
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      guard count > 0 else { return changed }
      var offset = 0
      while offset + MemoryLayout<inotify_event>.size <= count {
        let (length, name) = buffer.withUnsafeBytes { raw -> (Int, String) in
          let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
          let start = offset + MemoryLayout<inotify_event>.size
          let bytes = raw[start..<min(start + length, count)].prefix { $0 != 0 }
          return (length, String(decoding: bytes, as: UTF8.self))
        }
        if name == logName { changed = true }
        offset += MemoryLayout<inotify_event>.size + length
      }
    }
  }

  func drain() {
    drainReportingLogChanges()
  }

  func close() {
    guard isOpen else { return }
    isOpen = false
    Glibc.close(descriptor)
  }

  deinit { close() }
}
