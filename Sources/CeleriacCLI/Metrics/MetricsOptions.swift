import ArgumentParser

/// `--metrics-port` and `--metrics-address`: Prometheus metrics, off unless a port is given.
struct MetricsOptions: ParsableArguments {
  /// Where `/metrics` listens unless told otherwise: this machine only.
  static let defaultAddress = "127.0.0.1"

  @Option(help: "Serve Prometheus metrics on this TCP port at /metrics (default: off).")
  var metricsPort: Int?

  @Option(help: "The IPv4 address --metrics-port binds (default: 127.0.0.1, this machine only).")
  var metricsAddress: String = MetricsOptions.defaultAddress

  func validate() throws {
    if let port = metricsPort, !(1...65_535).contains(port) {
      throw ValidationError("--metrics-port must be from 1 to 65535, got \(port)")
    }
    guard MetricsServer.ipv4Address(metricsAddress) != nil else {
      throw ValidationError("--metrics-address must be an IPv4 address such as 127.0.0.1")
    }
  }
}
