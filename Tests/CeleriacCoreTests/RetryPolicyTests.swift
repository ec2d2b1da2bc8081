import CeleriacCore
import Testing

@Suite("RetryPolicy")
struct RetryPolicyTests {
  @Test("retries while under maxRetries")
  func retryCount() {
    let policy = RetryPolicy(maxRetries: 2)
    #expect(policy.shouldRetry(errorType: "ValueError", retries: 0))
    #expect(policy.shouldRetry(errorType: "ValueError", retries: 1))
    #expect(!policy.shouldRetry(errorType: "ValueError", retries: 2))
    #expect(!policy.shouldRetry(errorType: "ValueError", retries: 3))
    #expect(!RetryPolicy(maxRetries: 0).shouldRetry(errorType: "ValueError", retries: 0))
  }

  @Test("retryOn limits retries to the named error types")
  func retryOn() {
    let policy = RetryPolicy(maxRetries: 5, retryOn: ["ConnectionError", "TimeoutError"])
    #expect(policy.shouldRetry(errorType: "ConnectionError", retries: 0))
    #expect(policy.shouldRetry(errorType: "TimeoutError", retries: 4))
    #expect(!policy.shouldRetry(errorType: "TimeoutError", retries: 5))
    #expect(!policy.shouldRetry(errorType: "ValueError", retries: 0))
  }

  @Test("without jitter the delay doubles from backoff")
  func doubling() {
    let policy = RetryPolicy(backoff: .seconds(1), maxBackoff: .seconds(600), jitter: false)
    let delays = (0..<6).map { policy.delay(afterRetries: $0, random: 0.3) }
    #expect(delays == [1, 2, 4, 8, 16, 32].map { Duration.seconds($0) })
    let half = RetryPolicy(backoff: .milliseconds(500), jitter: false)
    #expect(half.delay(afterRetries: 2, random: 0) == .seconds(2))
  }

  @Test("the delay is capped at maxBackoff, also for huge retry counts")
  func cap() {
    let policy = RetryPolicy(backoff: .seconds(1), maxBackoff: .seconds(10), jitter: false)
    #expect(policy.delay(afterRetries: 3, random: 0) == .seconds(8))
    #expect(policy.delay(afterRetries: 4, random: 0) == .seconds(10))
    #expect(policy.delay(afterRetries: 30, random: 0) == .seconds(10))
    #expect(policy.delay(afterRetries: 1_000, random: 0) == .seconds(10))
    #expect(policy.delay(afterRetries: Int.max, random: 0) == .seconds(10))
  }

  @Test(
    "with jitter the delay is random times the capped delay", arguments: [0.0, 0.25, 0.5, 0.999])
  func jitter(_ random: Double) {
    let policy = RetryPolicy(backoff: .seconds(1), maxBackoff: .seconds(10), jitter: true)
    for retries in 0..<8 {
      let full = min(Duration.seconds(1 << retries), .seconds(10))
      let delay = policy.delay(afterRetries: retries, random: random)
      #expect(delay == full * random)
      #expect(delay >= .zero && delay < full)
    }
  }

  @Test("defaults are Celery-like: 3 retries, 1 s doubling to 600 s, with jitter")
  func defaults() {
    let policy = RetryPolicy()
    #expect(policy.maxRetries == 3)
    #expect(policy.backoff == .seconds(1))
    #expect(policy.maxBackoff == .seconds(600))
    #expect(policy.jitter)
    #expect(policy.retryOn.isEmpty)
  }
}

@Suite("TaskState")
struct TaskStateTests {
  @Test("only SUCCESS, FAILURE and REVOKED are ready")
  func isReady() {
    #expect(TaskState.success.isReady)
    #expect(TaskState.failure.isReady)
    #expect(TaskState.revoked.isReady)
    #expect(!TaskState.pending.isReady)
    #expect(!TaskState.started.isReady)
    #expect(!TaskState.retry.isReady)
    #expect(!TaskState.progress.isReady)
    #expect(!TaskState(rawValue: "UPLOADING").isReady)
    #expect(!TaskState(rawValue: "success").isReady)
  }

  @Test("states encode as their bare names")
  func coding() throws {
    #expect(try JSONCoding.encodeString(TaskState.success) == "\"SUCCESS\"")
    #expect(
      try JSONCoding.decode(TaskState.self, from: "\"CUSTOM\"") == TaskState(rawValue: "CUSTOM"))
    #expect(TaskState.progress.description == "PROGRESS")
  }
}

@Suite("Duration+Seconds")
struct DurationSecondsTests {
  @Test("seconds converts both ways, fractions to the microsecond")
  func seconds() {
    #expect(Duration.seconds(90).seconds == 90)
    #expect(Duration.milliseconds(1_500).seconds == 1.5)
    #expect(Duration.seconds(fractional: 0.25) == .milliseconds(250))
    #expect(Duration.seconds(fractional: 1.0000004) == .seconds(1))
    #expect(Duration.seconds(fractional: 1.0000006) == .microseconds(1_000_001))
    #expect(Duration.seconds(fractional: -2.5).seconds == -2.5)
  }
}
