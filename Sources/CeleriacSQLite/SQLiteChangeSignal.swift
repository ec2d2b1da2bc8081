import CeleriacCore

#if canImport(Glibc)
  import Glibc
#endif

/// Becomes readable when any process writes to the SQLite file's write-ahead log.
///
/// It uses two inotify watches. One is on the log itself (`<file>-wal`, `IN_MODIFY`). The other
/// is on the file's folder, for `IN_CREATE` and `IN_MOVED_TO` only: it sees the log appear or
/// be replaced, and then watches the new one. Writes to other files in the folder (a log file
/// next to the database, a trace) do not wake the watcher.
///
/// Every committed write appends to the log, so a producer's publish wakes the supervisor at
/// once, and a worker's stored result wakes a waiting `get()`. A watcher's own writes wake it
/// too; that costs one extra look, not a loop (looking does not write).
final class SQLiteChangeSignal: ChangeSignal {
  /// The most event bytes one ``drain()`` reads. A writer that appends faster than the caller
  /// drains leaves the descriptor readable for the next turn; it cannot hold the caller in
  /// this call.
  static let maximumDrainBytes = 64 * 1024

  let descriptor: Int32
  private let logName: String
  private let logPath: String
  private var logWatch: Int32 = -1
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
    guard inotify_add_watch(fd, folder, UInt32(IN_CREATE | IN_MOVED_TO)) >= 0 else {
      Glibc.close(fd)
      return nil
    }
    descriptor = fd
    logName = name + "-wal"
    logPath = path + "-wal"
    watchLog()
  }

  /// Watches the log file if it exists (a new watch replaces the old one: inotify gives the
  /// same watch to the same file).
  private func watchLog() {
    logWatch = inotify_add_watch(descriptor, logPath, UInt32(IN_MODIFY))
  }

  /// Whether any of the pending events concerned the log; reads at most
  /// ``maximumDrainBytes`` of them.
  @discardableResult
  func drainReportingLogChanges() -> Bool {
    var changed = false
    var drained = 0
    while drained < Self.maximumDrainBytes {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      guard count > 0 else { return changed }
      drained += count
      var offset = 0
      while offset + MemoryLayout<inotify_event>.size <= count {
        let (watch, length, name) = buffer.withUnsafeBytes { raw -> (Int32, Int, String) in
          let watch = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
          let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
          let start = offset + MemoryLayout<inotify_event>.size
          let bytes = raw[start..<min(start + length, count)].prefix { $0 != 0 }
          return (watch, length, String(decoding: bytes, as: UTF8.self))
        }
        if watch == logWatch && logWatch >= 0 {
          changed = true
        } else if name == logName {
          // The log was created or replaced: watch the new file, and look (it may hold data).
          watchLog()
          changed = true
        }
        offset += MemoryLayout<inotify_event>.size + length
      }
    }
    return changed
  }

  @discardableResult
  func drain() -> Bool {
    drainReportingLogChanges()
  }

  func close() {
    guard isOpen else { return }
    isOpen = false
    Glibc.close(descriptor)
  }

  deinit { close() }
}
