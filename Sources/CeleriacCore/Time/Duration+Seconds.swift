extension Duration {
  /// The duration in seconds, as a `Double`.
  public var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) / 1e18
  }

  /// The duration in whole milliseconds, rounded down.
  public var wholeMilliseconds: Int64 {
    components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
  }

  /// A duration of `seconds` (fractions kept to the microsecond).
  public static func seconds(fractional seconds: Double) -> Duration {
    .microseconds(Int64((seconds * 1_000_000).rounded()))
  }
}
