import Celeriac
import Hummingbird
import ServiceLifecycle

/// Runs the sampler for as long as the application runs.
struct DashboardSamplingService: Service {
  let sampler: DashboardSampler
  let interval: Duration

  func run() async throws {
    await cancelWhenGracefulShutdown {
      await sampler.run(every: interval)
    }
  }
}
