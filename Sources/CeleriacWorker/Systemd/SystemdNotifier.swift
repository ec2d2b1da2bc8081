import CShims
import CSystemd

#if canImport(Glibc)
  import Glibc
#endif

/// Tells systemd about the supervisor's state through libsystemd's `sd_notify`.
///
/// A no-op unless `NOTIFY_SOCKET` is set (libsystemd returns 0 then), so the supervisor calls it
/// unconditionally. Only the supervisor calls it: children never see `NOTIFY_SOCKET`.
/// libsystemd.so.0 is loaded only when systemd started the process (`CSystemd`), so that the
/// children, which share the binary, never load it.
public struct SystemdNotifier: Sendable {
  /// The watchdog interval systemd asked for (`WATCHDOG_USEC`, for this pid), if any.
  public let watchdogInterval: Duration?
  /// Why systemd cannot be told anything although it started this process (libsystemd.so.0
  /// did not load), or `nil`; the caller logs it.
  public let unavailableReason: String?

  /// Reads the watchdog settings from the environment (loading libsystemd if systemd is
  /// listening).
  public init() {
    var microseconds: UInt64 = 0
    if celeriac_sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 {
      watchdogInterval = .microseconds(Int64(microseconds))
    } else {
      watchdogInterval = nil
    }
    unavailableReason = celeriac_systemd_load_error().map { String(cString: $0) }
  }

  /// `READY=1` with `MAINPID` and a status line.
  public func ready(status: String) {
    send("READY=1\nMAINPID=\(getpid())\nSTATUS=\(status)")
  }

  /// `STATUS=…`: one short line for `systemctl status`.
  public func status(_ text: String) {
    send("STATUS=\(text)")
  }

  /// `RELOADING=1` with `MONOTONIC_USEC`, as systemd expects before a reload.
  public func reloading() {
    send("RELOADING=1\nMONOTONIC_USEC=\(celeriac_monotonic_usec())\nSTATUS=reloading")
  }

  /// `STOPPING=1`.
  public func stopping(status: String) {
    send("STOPPING=1\nSTATUS=\(status)")
  }

  /// `EXTEND_TIMEOUT_USEC`: asks systemd for more time to finish starting or stopping.
  public func extendTimeout(by duration: Duration) {
    send("EXTEND_TIMEOUT_USEC=\(max(0, duration.wholeMicroseconds))")
  }

  /// `WATCHDOG=1`.
  public func watchdogPing() {
    send("WATCHDOG=1")
  }

  private func send(_ state: String) {
    _ = celeriac_sd_notify(0, state)
  }
}
