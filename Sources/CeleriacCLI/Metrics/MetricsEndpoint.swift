import CeleriacWorker
import Logging
import Metrics
import Prometheus

/// Bootstraps swift-metrics with swift-prometheus and serves the registry at `/metrics`.
enum MetricsEndpoint {
  /// Run-time histogram buckets, in seconds: 5 ms to 10 minutes.
  static let runtimeBuckets: [Duration] = [
    .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
    .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2_500),
    .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(600),
  ]

  /// Broker-call histogram buckets: 50 µs (a loopback Redis round trip) to 5 s.
  static let brokerCallBuckets: [Duration] = [
    .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
    .milliseconds(1), .microseconds(2_500), .milliseconds(5), .milliseconds(10),
    .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
  ]

  /// Starts the endpoint; throws ``MetricsServerError`` when the port cannot be bound.
  static func start(address: String, port: Int) throws {
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    factory.defaultDurationHistogramBuckets = runtimeBuckets
    factory.durationHistogramBuckets[SupervisorMetrics.brokerCall] = brokerCallBuckets
    MetricsSystem.bootstrap(factory)
    let server = try MetricsServer(address: address, port: port, registry: registry)
    server.start()
    Logger(label: "celeriac.metrics").info(
      "Prometheus metrics at http://\(address):\(port)/metrics")
  }
}
