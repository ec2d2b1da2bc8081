extension Duration {
  /// The longest duration a conversion from seconds produces: about 292,000 years, the range
  /// of `Int64` microseconds. Longer, infinite or NaN inputs saturate instead of trapping.
  public static let maximumConvertibleSeconds = Double(Int64.max / 1_000_000)

  /// The duration in seconds, as a `Double`.
  public var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) / 1e18
  }

  /// The duration in whole milliseconds, rounded toward zero (saturating at `Int64`'s range).
  public var wholeMilliseconds: Int64 { whole(unitsPerSecond: 1_000) }

  /// The duration in whole microseconds, rounded toward zero (saturating at `Int64`'s range).
  public var wholeMicroseconds: Int64 { whole(unitsPerSecond: 1_000_000) }

  /// The duration in whole nanoseconds, rounded toward zero (saturating at `Int64`'s range:
  /// about 292 years).
  public var wholeNanoseconds: Int64 { whole(unitsPerSecond: 1_000_000_000) }

  /// `self` counted in units of `1 / unitsPerSecond` s, saturating instead of overflowing.
  private func whole(unitsPerSecond: Int64) -> Int64 {
    let (seconds, attoseconds) = components
    let (scaled, overflow) = seconds.multipliedReportingOverflow(by: unitsPerSecond)
    if overflow { return seconds < 0 ? .min : .max }
    let (sum, overflowSum) = scaled.addingReportingOverflow(
      attoseconds / (1_000_000_000_000_000_000 / unitsPerSecond))
    return overflowSum ? (scaled < 0 ? .min : .max) : sum
  }

  /// A short human form for log lines and reasons: `250ms` below one second, else seconds with
  /// at most one decimal: `1.5s`, `30s`.
  public var shortDescription: String {
    let milliseconds = wholeMilliseconds
    if milliseconds < 0 { return "-" + (Duration.zero - self).shortDescription }
    if milliseconds < 1000 { return "\(milliseconds)ms" }
    let tenths = (milliseconds % 1000) / 100
    return tenths == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds / 1000).\(tenths)s"
  }

  /// A duration of `seconds` (fractions kept to the microsecond).
  ///
  /// Never traps: NaN gives zero and values beyond ``maximumConvertibleSeconds`` (infinity
  /// included) saturate. Values from outside should be checked first with
  /// ``seconds(checked:)`` or ``SecondsValue``, which say what is wrong.
  public static func seconds(fractional seconds: Double) -> Duration {
    guard !seconds.isNaN else { return .zero }
    let bounded = Swift.min(
      Swift.max(seconds, -maximumConvertibleSeconds), maximumConvertibleSeconds)
    return .microseconds(Int64((bounded * 1_000_000).rounded()))
  }

  /// A duration of `seconds`, or `nil` when `seconds` is NaN, infinite or beyond
  /// ``maximumConvertibleSeconds``.
  public static func seconds(checked seconds: Double) -> Duration? {
    guard seconds.isFinite, abs(seconds) <= maximumConvertibleSeconds else { return nil }
    return .seconds(fractional: seconds)
  }
}
