import CeleriacCore
import Testing

@testable import CeleriacWorker

/// A random source that always returns the same value, so jitter is exact.
private struct ConstantRandom: RandomNumberGenerator {
  var value: UInt64
  mutating func next() -> UInt64 { value }
}

private func configuration(
  jitter: BackoffJitter = .none,
  crashLoopMinimumFailures: Int = RestartPolicyConfiguration.defaultCrashLoopMinimumFailures,
  maxBootFailures: Int = RestartPolicyConfiguration.defaultMaxBootFailures
) -> RestartPolicyConfiguration {
  try! RestartPolicyConfiguration(
    jitter: jitter, crashLoopMinimumFailures: crashLoopMinimumFailures,
    maxBootFailures: maxBootFailures)
}

private func ms(_ value: Int) -> Duration { .milliseconds(value) }

private func at(_ seconds: Double) -> MonotonicTime { MonotonicTime(.seconds(seconds)) }

private func delay(_ decision: RestartDecision) -> Duration? {
  if case .restart(let after) = decision { return after }
  return nil
}

private func reason(_ decision: RestartDecision) -> String? {
  if case .giveUp(let reason) = decision { return reason }
  return nil
}

@Suite("RestartBackoff")
struct RestartBackoffTests {
  @Test func doublesFromMinimumAndCapsAtMaximum() {
    let backoff = RestartBackoff(minimum: ms(100), maximum: .seconds(30), jitter: .none)
    let delays = (1...12).map { backoff.baseDelay(attempt: $0) }
    #expect(
      delays == [
        ms(100), ms(200), ms(400), ms(800), ms(1600), ms(3200), ms(6400), ms(12800), ms(25600),
        .seconds(30), .seconds(30), .seconds(30),
      ])
    #expect(backoff.baseDelay(attempt: 0) == ms(100))
    #expect(backoff.baseDelay(attempt: Int.max) == .seconds(30))
  }

  @Test func equalJitterStaysBetweenHalfAndFullDelay() {
    let backoff = RestartBackoff(minimum: ms(100), maximum: .seconds(30), jitter: .equal)
    var high = ConstantRandom(value: .max)
    var low = ConstantRandom(value: 0)
    var middle = ConstantRandom(value: .max / 2)
    #expect(backoff.delay(attempt: 1, using: &high) == ms(100))
    #expect(backoff.delay(attempt: 3, using: &high) == ms(400))
    #expect(backoff.delay(attempt: 1, using: &low) == ms(50))
    #expect(backoff.delay(attempt: 3, using: &low) == ms(200))
    #expect(backoff.delay(attempt: 1, using: &middle) == ms(75))
    #expect(backoff.delay(attempt: 20, using: &high) == .seconds(30))
  }

  @Test func fullJitterSpansZeroToFullDelay() {
    let backoff = RestartBackoff(minimum: ms(100), maximum: .seconds(30), jitter: .full)
    var high = ConstantRandom(value: .max)
    var low = ConstantRandom(value: 0)
    #expect(backoff.delay(attempt: 2, using: &high) == ms(200))
    #expect(backoff.delay(attempt: 2, using: &low) == .zero)
  }

  @Test func systemRandomJitterStaysInRange() {
    let backoff = RestartBackoff(minimum: ms(100), maximum: .seconds(30), jitter: .equal)
    for attempt in 1...15 {
      let base = backoff.baseDelay(attempt: attempt)
      let delay = backoff.delay(attempt: attempt)
      #expect(delay >= base / 2 && delay <= base)
    }
  }
}

@Suite("RestartPolicy")
struct RestartPolicyTests {
  @Test func defaultsAreTheDocumentedOnes() {
    let standard = RestartPolicyConfiguration.standard
    #expect(standard.minimumBackoff == ms(100))
    #expect(standard.maximumBackoff == .seconds(30))
    #expect(standard.jitter == .equal)
    #expect(standard.stableUptime == .seconds(10))
    #expect(standard.crashLoopWindow == .seconds(60))
    #expect(standard.crashLoopMinimumFailures == 5)
    #expect(standard.maxBootFailures == 5)
  }

  @Test func invalidConfigurationThrowsAOneLineMessage() {
    #expect(throws: PolicyConfigurationError.self) {
      try RestartPolicyConfiguration(minimumBackoff: .zero)
    }
    do {
      _ = try RestartPolicyConfiguration(minimumBackoff: .seconds(2), maximumBackoff: .seconds(1))
      Issue.record("expected an error")
    } catch {
      #expect(error.message == "restart maximum backoff 1s is below minimum backoff 2s")
    }
    #expect(throws: PolicyConfigurationError.self) {
      try RestartPolicyConfiguration(stableUptime: .zero)
    }
    #expect(throws: PolicyConfigurationError.self) {
      try RestartPolicyConfiguration(crashLoopWindow: .seconds(-1))
    }
    #expect(throws: PolicyConfigurationError.self) {
      try RestartPolicyConfiguration(crashLoopMinimumFailures: 0)
    }
    #expect(throws: PolicyConfigurationError.self) {
      try RestartPolicyConfiguration(maxBootFailures: 0)
    }
  }

  @Test func crashDelaysGrowPerSlot() {
    var policy = RestartPolicy(configuration: configuration())
    var now = at(0)
    var delays: [Duration?] = []
    for _ in 0..<5 {
      let decision = policy.recordExit(slot: 0, kind: .crash, uptime: ms(500), now: now)
      delays.append(delay(decision))
      now += .seconds(1)
    }
    #expect(delays == [ms(100), ms(200), ms(400), ms(800), ms(1600)])
    #expect(policy.consecutiveFailures(slot: 0) == 5)
  }

  @Test func fixedRandomEqualJitterIsDeterministic() {
    var policy = RestartPolicy(configuration: configuration(jitter: .equal))
    var random = ConstantRandom(value: .max)
    var delays: [Duration?] = []
    for index in 0..<3 {
      let decision = policy.recordExit(
        slot: 0, kind: .crash, uptime: ms(500), now: at(Double(index)), using: &random)
      delays.append(delay(decision))
    }
    #expect(delays == [ms(100), ms(200), ms(400)])
  }

  @Test func delayIsCappedAtMaximum() throws {
    // A long window so that the crash loop does not end the test first.
    let config = try RestartPolicyConfiguration(jitter: .none, crashLoopWindow: .seconds(3600))
    var policy = RestartPolicy(configuration: config)
    var last: Duration?
    for index in 0..<15 {
      last = delay(
        policy.recordExit(slot: 0, kind: .crash, uptime: ms(100), now: at(Double(index))))
    }
    #expect(last == .seconds(30))
  }

  @Test func stableUptimeResetsTheSlot() {
    var policy = RestartPolicy(configuration: configuration())
    for index in 0..<4 {
      _ = policy.recordExit(slot: 0, kind: .crash, uptime: .seconds(1), now: at(Double(index)))
    }
    #expect(policy.consecutiveFailures(slot: 0) == 4)
    // Up exactly the stable uptime: stable.
    let decision = policy.recordExit(slot: 0, kind: .crash, uptime: .seconds(10), now: at(20))
    #expect(delay(decision) == ms(100))
    #expect(policy.consecutiveFailures(slot: 0) == 1)
    // Just short of stable: counts on.
    let next = policy.recordExit(slot: 0, kind: .crash, uptime: ms(9_999), now: at(30))
    #expect(delay(next) == ms(200))
  }

  @Test func plannedExitsDoNotCount() {
    var policy = RestartPolicy(configuration: configuration())
    #expect(
      delay(policy.recordExit(slot: 0, kind: .crash, uptime: .seconds(1), now: at(0))) == ms(100))
    // Recycled after max-tasks-per-child, quickly: restart at once, count unchanged.
    #expect(
      policy.recordExit(slot: 0, kind: .planned, uptime: .seconds(1), now: at(2))
        == .restart(after: .zero))
    #expect(policy.consecutiveFailures(slot: 0) == 1)
    #expect(
      delay(policy.recordExit(slot: 0, kind: .crash, uptime: .seconds(1), now: at(3))) == ms(200))
  }

  @Test func plannedExitsNeverGiveUp() {
    var policy = RestartPolicy(configuration: configuration())
    for index in 0..<1000 {
      let decision = policy.recordExit(
        slot: index % 4, kind: .planned, uptime: ms(50), now: at(Double(index)))
      #expect(decision == .restart(after: .zero))
    }
    #expect(policy.giveUpReason == nil)
  }

  @Test func plannedExitAfterStableUptimeResetsTheSlot() {
    var policy = RestartPolicy(configuration: configuration())
    for index in 0..<3 {
      _ = policy.recordExit(slot: 0, kind: .crash, uptime: .seconds(1), now: at(Double(index)))
    }
    _ = policy.recordExit(slot: 0, kind: .planned, uptime: .seconds(60), now: at(70))
    #expect(policy.consecutiveFailures(slot: 0) == 0)
    #expect(
      delay(policy.recordExit(slot: 0, kind: .crash, uptime: .seconds(1), now: at(71))) == ms(100))
  }

  @Test func slotsBackOffIndependently() {
    var policy = RestartPolicy(configuration: configuration())
    for index in 0..<3 {
      _ = policy.recordExit(slot: 0, kind: .crash, uptime: .seconds(1), now: at(Double(index)))
    }
    #expect(
      delay(policy.recordExit(slot: 1, kind: .crash, uptime: .seconds(1), now: at(4))) == ms(100))
    #expect(
      delay(policy.recordExit(slot: 0, kind: .crash, uptime: .seconds(1), now: at(5))) == ms(800))
    policy.forgetSlot(0)
    #expect(policy.consecutiveFailures(slot: 0) == 0)
    #expect(policy.consecutiveFailures(slot: 1) == 1)
  }

  /// One slot whose child dies `uptime` after each spawn; returns the decisions with times.
  private func crashLoop(
    policy: inout RestartPolicy, slot: Int = 0, from start: MonotonicTime,
    until end: MonotonicTime, uptime: Duration = .seconds(1)
  ) -> [(MonotonicTime, RestartDecision)] {
    var decisions: [(MonotonicTime, RestartDecision)] = []
    var now = start
    while now < end {
      policy.recordSpawn(slot: slot, now: now)
      policy.recordReady(slot: slot, now: now + ms(5))
      now += uptime
      let decision = policy.recordExit(slot: slot, kind: .crash, uptime: uptime, now: now)
      decisions.append((now, decision))
      guard let after = delay(decision) else { break }
      now += after
    }
    return decisions
  }

  @Test func crashLoopGivesUpAfterTheWindow() {
    var policy = RestartPolicy(configuration: configuration())
    let decisions = crashLoop(policy: &policy, from: at(0), until: at(600))
    let firstCrash = decisions[0].0
    let (lastTime, lastDecision) = decisions.last!
    let reason = reason(lastDecision)
    #expect(reason?.hasPrefix("crash loop: ") == true)
    #expect(reason?.contains("\n") == false)
    #expect(lastTime - firstCrash >= .seconds(60))
    // Every decision before the last one, all inside the window, was a restart.
    for (time, decision) in decisions.dropLast() {
      #expect(delay(decision) != nil)
      #expect(time - firstCrash < .seconds(60))
    }
    #expect(policy.giveUpReason == reason)
    // Sticky: later exits get the same answer.
    let later = policy.recordExit(slot: 1, kind: .planned, uptime: .seconds(100), now: at(700))
    #expect(later == .giveUp(reason: reason!))
  }

  @Test func crashLoopNeedsTheMinimumNumberOfFailures() throws {
    let config = try RestartPolicyConfiguration(jitter: .none, crashLoopMinimumFailures: 3)
    var policy = RestartPolicy(configuration: config)
    #expect(delay(policy.recordExit(slot: 0, kind: .crash, uptime: .seconds(1), now: at(0))) != nil)
    #expect(
      delay(policy.recordExit(slot: 1, kind: .crash, uptime: .seconds(1), now: at(70))) != nil)
    let third = policy.recordExit(slot: 2, kind: .crash, uptime: .seconds(1), now: at(71))
    #expect(reason(third)?.contains("3 children exited early") == true)
  }

  @Test func aStableLiveChildPreventsGivingUp() {
    var policy = RestartPolicy(configuration: configuration())
    // Slot 1 boots and keeps running while slot 0 crashes every second for ten minutes.
    policy.recordSpawn(slot: 1, now: at(0))
    policy.recordReady(slot: 1, now: at(0.2))
    let decisions = crashLoop(policy: &policy, from: at(0), until: at(600))
    #expect(decisions.count > 20)
    #expect(decisions.allSatisfy { delay($0.1) != nil })
    #expect(delay(decisions.last!.1) == .seconds(30))
  }

  @Test func aLiveChildThatNeverReportedReadyIsNotStable() {
    var policy = RestartPolicy(configuration: configuration())
    policy.recordSpawn(slot: 1, now: at(0))
    let decisions = crashLoop(policy: &policy, from: at(0), until: at(600))
    #expect(reason(decisions.last!.1)?.hasPrefix("crash loop") == true)
  }

  @Test func aStableExitInBetweenRestartsTheWindow() {
    var policy = RestartPolicy(configuration: configuration())
    let before = crashLoop(policy: &policy, from: at(0), until: at(50))
    #expect(before.allSatisfy { delay($0.1) != nil })
    // Another child of the pool is recycled after a long, stable life.
    let recycled = policy.recordExit(slot: 1, kind: .planned, uptime: .seconds(45), now: at(55))
    #expect(recycled == .restart(after: .zero))
    let after = crashLoop(policy: &policy, from: at(56), until: at(600))
    let (giveUpTime, last) = after.last!
    #expect(reason(last) != nil)
    #expect(giveUpTime - after[0].0 >= .seconds(60))
    #expect(giveUpTime >= at(116))
  }

  @Test func bootFailuresGiveUpAfterTheLimit() {
    var policy = RestartPolicy(configuration: configuration())
    var delays: [Duration?] = []
    for index in 0..<4 {
      let decision = policy.recordExit(
        slot: 0, kind: .bootFailure, uptime: ms(20), now: at(Double(index)))
      delays.append(delay(decision))
    }
    // They back off like crashes meanwhile.
    #expect(delays == [ms(100), ms(200), ms(400), ms(800)])
    let fifth = policy.recordExit(slot: 0, kind: .bootFailure, uptime: ms(20), now: at(4))
    #expect(reason(fifth)?.hasPrefix("boot failure: 5 children in a row") == true)
  }

  @Test func bootFailuresCountAcrossThePool() {
    var policy = RestartPolicy(configuration: configuration())
    var decisions: [RestartDecision] = []
    for slot in 0..<5 {
      decisions.append(
        policy.recordExit(slot: slot, kind: .bootFailure, uptime: ms(20), now: at(0)))
    }
    #expect(decisions.prefix(4).allSatisfy { $0 == .restart(after: ms(100)) })
    #expect(reason(decisions[4])?.contains("boot failure") == true)
  }

  @Test func aReadyChildBreaksTheBootFailureRun() {
    var policy = RestartPolicy(configuration: configuration())
    for index in 0..<4 {
      _ = policy.recordExit(slot: 0, kind: .bootFailure, uptime: ms(20), now: at(Double(index)))
    }
    policy.recordSpawn(slot: 1, now: at(4))
    policy.recordReady(slot: 1, now: at(4.1))
    #expect(policy.consecutiveBootFailures == 0)
    for index in 0..<4 {
      let decision = policy.recordExit(
        slot: 0, kind: .bootFailure, uptime: ms(20), now: at(5 + Double(index)))
      #expect(delay(decision) != nil)
    }
    #expect(policy.consecutiveBootFailures == 4)
  }

  @Test func aCrashBreaksTheBootFailureRunButPlannedExitsDoNot() {
    var policy = RestartPolicy(configuration: configuration())
    for index in 0..<4 {
      _ = policy.recordExit(slot: 0, kind: .bootFailure, uptime: ms(20), now: at(Double(index)))
    }
    _ = policy.recordExit(slot: 1, kind: .planned, uptime: ms(20), now: at(4))
    #expect(policy.consecutiveBootFailures == 4)
    _ = policy.recordExit(slot: 1, kind: .crash, uptime: .seconds(3), now: at(5))
    #expect(policy.consecutiveBootFailures == 0)
  }

  @Test func bootFailuresAlsoFeedTheCrashLoop() throws {
    let config = try RestartPolicyConfiguration(jitter: .none, maxBootFailures: 1000)
    var policy = RestartPolicy(configuration: config)
    var now = at(0)
    var last: RestartDecision = .restart(after: .zero)
    while let after = delay(last), now < at(600) {
      now += after + ms(20)
      last = policy.recordExit(slot: 0, kind: .bootFailure, uptime: ms(20), now: now)
    }
    #expect(reason(last)?.hasPrefix("crash loop") == true)
  }
}
