import ArgumentParser

/// `--metrics-port` and `--metrics-address`: Prometheus metrics, off unless a port is given.
/// Declared, read and checked in ``WorkerSettings``.
struct MetricsOptions: ParsableArguments, Sendable {
  /// Where `/metrics` listens unless told otherwise: this machine only.
  static let defaultAddress = "127.0.0.1"

  @Option(help: WorkerSettings.metricsPort.help)
  var metricsPort: String?

  @Option(help: WorkerSettings.metricsAddress.help)
  var metricsAddress: String?
}
