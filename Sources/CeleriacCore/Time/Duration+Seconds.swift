extension Duration {
  /// The longest duration a conversion from seconds produces: about 292,000 years, the range
  /// of `Int64` microseconds. Longer, infinite or NaN inputs saturate instead of trapping.
  public static let maximumConvertibleSeconds = Double(Int64.max / 1_000_000)

  /// The duration in seconds, as a `Double`.
  public var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) / 1e18
  }

  /// The duration in whole milliseconds, rounded down (saturating at `Int64`'s range).
  public var wholeMilliseconds: Int64 {
    let (scaled, overflow) = components.seconds.multipliedReportingOverflow(by: 1000)
    if overflow { return components.seconds < 0 ? .min : .max }
    let (sum, overflowSum) = scaled.addingReportingOverflow(
      components.attoseconds / 1_000_000_000_000_000)
    return overflowSum ? (scaled < 0 ? .min : .max) : sum
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
