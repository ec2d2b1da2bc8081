extension PolicyConfigurationError {
  /// Throws "`name` must be at least 1, got `value`" unless `value >= 1`.
  static func requireAtLeastOne(_ value: Int, _ name: String) throws(PolicyConfigurationError) {
    guard value >= 1 else {
      throw PolicyConfigurationError("\(name) must be at least 1, got \(value)")
    }
  }

  /// Throws "`name` must be positive, got `value`" unless `value > 0`.
  static func requirePositive(_ value: Duration, _ name: String) throws(PolicyConfigurationError) {
    guard value > .zero else {
      throw PolicyConfigurationError("\(name) must be positive, got \(value.shortDescription)")
    }
  }

  /// Throws "`name` must not be negative, got `value`" unless `value >= 0`.
  static func requireNotNegative(_ value: Duration, _ name: String) throws(PolicyConfigurationError)
  {
    guard value >= .zero else {
      throw PolicyConfigurationError("\(name) must not be negative, got \(value.shortDescription)")
    }
  }
}
