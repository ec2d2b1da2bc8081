import Testing

@testable import CeleriacWorker

private let tick = AutoscalerConfiguration.defaultSampleInterval

private func scaler(
  minimum: Int = 1, maximum: Int = 16, maximumStep: Int = 8, scaleDownStep: Int = 1
) -> Autoscaler {
  Autoscaler(
    configuration: try! AutoscalerConfiguration(
      minimum: minimum, maximum: maximum, maximumStep: maximumStep, scaleDownStep: scaleDownStep))
}

/// A pool whose children are ready the tick after they are spawned. Tasks are handed to idle
/// children, one each; `depth` is what is left waiting.
private struct FakePool {
  var total: Int
  var work: Int  // tasks waiting or running

  var busy: Int { min(work, total) }
  var idle: Int { total - busy }
  var depth: Int { work - busy }

  var snapshot: AutoscalerSnapshot {
    AutoscalerSnapshot(
      queueDepth: depth, inFlight: busy, busyChildren: busy, idleChildren: idle,
      totalChildren: total)
  }

  mutating func apply(_ decision: ScalingDecision) {
    switch decision {
    case .hold: break
    case .spawn(let count, _): total += count
    case .retire(let count, _):
      precondition(count <= idle, "retired a busy child")
      total -= count
    }
  }
}

private func snapshot(depth: Int = 0, busy: Int = 0, idle: Int = 0, total: Int? = nil)
  -> AutoscalerSnapshot
{
  AutoscalerSnapshot(
    queueDepth: depth, inFlight: busy, busyChildren: busy, idleChildren: idle,
    totalChildren: total ?? busy + idle)
}

@Suite("Autoscaler")
struct AutoscalerTests {
  @Test func defaultsAreTheDocumentedOnes() {
    let standard = AutoscalerConfiguration.standard
    #expect(standard.minimum == 1)
    #expect(standard.maximum == 8)
    #expect(standard.maximumStep == 8)
    #expect(standard.scaleDownCooldown == .seconds(30))
    #expect(standard.scaleDownInterval == .seconds(10))
    #expect(standard.scaleDownStep == 1)
    #expect(standard.sampleInterval == .milliseconds(250))
  }

  @Test func invalidConfigurationThrowsAOneLineMessage() {
    do {
      _ = try AutoscalerConfiguration(minimum: 4, maximum: 2)
      Issue.record("expected an error")
    } catch {
      #expect(error.message == "autoscale maximum 2 is below minimum 4")
      #expect(error.description == error.message)
    }
    #expect(throws: PolicyConfigurationError.self) { try AutoscalerConfiguration(minimum: 0) }
    #expect(throws: PolicyConfigurationError.self) { try AutoscalerConfiguration(maximumStep: 0) }
    #expect(throws: PolicyConfigurationError.self) {
      try AutoscalerConfiguration(scaleDownCooldown: .seconds(-1))
    }
    #expect(throws: PolicyConfigurationError.self) {
      try AutoscalerConfiguration(scaleDownInterval: .seconds(-1))
    }
    #expect(throws: PolicyConfigurationError.self) { try AutoscalerConfiguration(scaleDownStep: 0) }
    #expect(throws: PolicyConfigurationError.self) {
      try AutoscalerConfiguration(sampleInterval: .zero)
    }
    #expect((try? AutoscalerConfiguration(minimum: 3, maximum: 3)) != nil)
  }

  @Test func growsToMaximumWithADoublingStep() {
    var autoscaler = scaler(minimum: 1, maximum: 16)
    var pool = FakePool(total: 1, work: 1000)
    var now = MonotonicTime.zero
    var spawns: [Int] = []
    for _ in 0..<10 {
      let decision = autoscaler.decide(pool.snapshot, now: now)
      if case .spawn(let count, _) = decision { spawns.append(count) }
      pool.apply(decision)
      #expect(pool.total <= 16)
      now += tick
    }
    #expect(spawns == [1, 2, 4, 8])
    #expect(pool.total == 16)
    #expect(
      autoscaler.decide(pool.snapshot, now: now)
        == .hold(reason: "depth 984, 0 idle: at maximum 16"))
  }

  @Test func stepIsCappedAtMaximumStep() {
    var autoscaler = scaler(minimum: 1, maximum: 20, maximumStep: 4)
    var pool = FakePool(total: 1, work: 1000)
    var spawns: [Int] = []
    for index in 0..<10 {
      let decision = autoscaler.decide(pool.snapshot, now: MonotonicTime(tick * index))
      if case .spawn(let count, _) = decision { spawns.append(count) }
      pool.apply(decision)
    }
    #expect(spawns == [1, 2, 4, 4, 4, 4])
    #expect(pool.total == 20)
  }

  @Test func spawnReasonNamesDepthIdleAndStep() {
    var autoscaler = scaler()
    _ = autoscaler.decide(snapshot(depth: 50, busy: 1), now: .zero)
    _ = autoscaler.decide(snapshot(depth: 49, busy: 2), now: .zero + tick)
    let decision = autoscaler.decide(snapshot(depth: 42, busy: 4), now: .zero + tick * 2)
    #expect(decision == .spawn(count: 4, reason: "depth 42, 0 idle: +4 (step 4)"))
    #expect(decision.delta == 4)
    #expect(decision.reason == "depth 42, 0 idle: +4 (step 4)")
  }

  @Test func neverSpawnsMoreChildrenThanThereIsWork() {
    var autoscaler = scaler(minimum: 1, maximum: 16)
    // One busy child, three waiting: at most three more children.
    var pool = FakePool(total: 1, work: 4)
    var spawns: [Int] = []
    for index in 0..<10 {
      let decision = autoscaler.decide(pool.snapshot, now: MonotonicTime(tick * index))
      if case .spawn(let count, _) = decision { spawns.append(count) }
      pool.apply(decision)
    }
    #expect(spawns == [1, 2])
    #expect(pool.total == 4)
  }

  @Test func childrenStillStartingCountAgainstDemand() {
    var autoscaler = scaler(minimum: 1, maximum: 16)
    // 2 busy, 2 starting, 2 waiting: the starting ones will take the waiting tasks.
    let decision = autoscaler.decide(snapshot(depth: 2, busy: 2, total: 4), now: .zero)
    #expect(decision == .hold(reason: "depth 2, 0 idle: 4 children cover 4 tasks"))
  }

  @Test func holdsWhileAnIdleChildCanTakeTheBacklog() {
    var autoscaler = scaler()
    let decision = autoscaler.decide(snapshot(depth: 3, busy: 2, idle: 1), now: .zero)
    #expect(decision == .hold(reason: "depth 3, 1 idle: hold"))
  }

  @Test func stepResetsWhenTheBacklogClears() {
    var autoscaler = scaler(minimum: 1, maximum: 32)
    var now = MonotonicTime.zero
    #expect(autoscaler.decide(snapshot(depth: 100, busy: 1), now: now).delta == 1)
    now += tick
    #expect(autoscaler.decide(snapshot(depth: 100, busy: 2), now: now).delta == 2)
    now += tick
    #expect(autoscaler.decide(snapshot(depth: 100, busy: 4), now: now).delta == 4)
    #expect(autoscaler.step == 8)
    now += tick
    #expect(autoscaler.decide(snapshot(depth: 0, busy: 8), now: now).delta == 0)
    #expect(autoscaler.step == 1)
    now += tick
    #expect(autoscaler.decide(snapshot(depth: 100, busy: 8), now: now).delta == 1)
  }

  @Test func holdsWhileAllBusyWithoutBacklog() {
    var autoscaler = scaler(minimum: 1, maximum: 8)
    for index in 0..<1000 {
      let decision = autoscaler.decide(snapshot(busy: 4), now: MonotonicTime(tick * index))
      #expect(decision == .hold(reason: "depth 0, 4 busy, 0 idle: hold"))
    }
  }

  @Test func scalesDownOneAtATimeAfterTheCooldownAndNeverBelowMinimum() {
    var autoscaler = scaler(minimum: 2, maximum: 8)
    var pool = FakePool(total: 1, work: 100)
    var now = MonotonicTime.zero
    // Grow to 8 under load.
    while pool.total < 8 {
      pool.apply(autoscaler.decide(pool.snapshot, now: now))
      now += tick
    }
    let lastScaleUp = autoscaler.lastScaleUp!
    // The load vanishes.
    pool.work = 0
    var retirements: [(MonotonicTime, Int)] = []
    while now < lastScaleUp + .seconds(300) {
      let decision = autoscaler.decide(pool.snapshot, now: now)
      if case .retire(let count, _) = decision { retirements.append((now, count)) }
      pool.apply(decision)
      #expect(pool.total >= 2)
      now += tick
    }
    #expect(pool.total == 2)
    #expect(retirements.count == 6)
    #expect(retirements.allSatisfy { $0.1 == 1 })
    // The first only after a full cooldown, then one per interval.
    #expect(retirements[0].0 - lastScaleUp >= .seconds(30))
    #expect(retirements[0].0 - lastScaleUp < .seconds(31))
    for (earlier, later) in zip(retirements, retirements.dropFirst()) {
      #expect(later.0 - earlier.0 == .seconds(10))
    }
  }

  @Test func holdReasonTellsWhenTheNextRetirementIsDue() {
    var autoscaler = scaler(minimum: 1, maximum: 8)
    let start = MonotonicTime(.seconds(100))
    _ = autoscaler.decide(snapshot(idle: 4), now: start)
    let decision = autoscaler.decide(snapshot(idle: 4), now: start + .milliseconds(12_500))
    #expect(decision == .hold(reason: "depth 0, 4 idle: retire in 17.5s"))
    let retire = autoscaler.decide(snapshot(idle: 4), now: start + .seconds(30))
    #expect(retire == .retire(count: 1, reason: "depth 0, 4 idle for 30s: -1"))
  }

  @Test func neverRetiresMoreThanAreIdle() {
    var autoscaler = scaler(minimum: 1, maximum: 16, scaleDownStep: 4)
    let idleSnapshot = snapshot(busy: 7, idle: 1)
    _ = autoscaler.decide(idleSnapshot, now: .zero)
    let decision = autoscaler.decide(idleSnapshot, now: MonotonicTime(.seconds(30)))
    #expect(decision.delta == -1)
  }

  @Test func scaleDownStepIsBoundedByMinimum() {
    var autoscaler = scaler(minimum: 3, maximum: 16, scaleDownStep: 4)
    let idleSnapshot = snapshot(idle: 5)
    _ = autoscaler.decide(idleSnapshot, now: .zero)
    #expect(autoscaler.decide(idleSnapshot, now: MonotonicTime(.seconds(30))).delta == -2)
  }

  @Test func aBacklogRestartsTheScaleDownWait() {
    var autoscaler = scaler(minimum: 1, maximum: 8)
    var now = MonotonicTime.zero
    for _ in 0..<100 {  // 25 s of surplus
      #expect(autoscaler.decide(snapshot(idle: 4), now: now).delta == 0)
      now += tick
    }
    // One tick of backlog (an idle child is there to take it): the wait starts again.
    #expect(autoscaler.decide(snapshot(depth: 1, busy: 3, idle: 1), now: now).delta == 0)
    now += tick
    let surplusStart = now
    while now < surplusStart + .seconds(30) {
      #expect(autoscaler.decide(snapshot(idle: 4), now: now).delta == 0)
      now += tick
    }
    #expect(autoscaler.decide(snapshot(idle: 4), now: now).delta == -1)
  }

  @Test func flappingLoadNeverRetiresNorOscillates() {
    var autoscaler = scaler(minimum: 2, maximum: 8)
    var total = 2
    var deltas: [Int] = []
    var now = MonotonicTime.zero
    for index in 0..<2000 {  // 500 s
      let backlog = index % 2 == 0
      // Under backlog every child is busy; in between every child is idle.
      let current =
        backlog
        ? snapshot(depth: 10, busy: total) : snapshot(idle: total)
      let decision = autoscaler.decide(current, now: now)
      if case .retire = decision { Issue.record("retired under flapping load at \(now)") }
      total += decision.delta
      deltas.append(decision.delta)
      now += tick
    }
    #expect(deltas.allSatisfy { $0 >= 0 })
    #expect(total <= 8)
    // It grew to what the load needs and then stayed.
    #expect(total == 8)
    #expect(deltas.suffix(1000).allSatisfy { $0 == 0 })
  }

  @Test func flappingBetweenBusyAndIdleWithoutBacklogNeverRetires() {
    var autoscaler = scaler(minimum: 2, maximum: 8)
    var now = MonotonicTime.zero
    for index in 0..<2000 {
      let current = index % 2 == 0 ? snapshot(depth: 5, busy: 6) : snapshot(busy: 2, idle: 4)
      let decision = autoscaler.decide(current, now: now)
      #expect(decision.delta >= 0)
      now += tick
    }
  }

  @Test func spawnsUpToMinimumAtOnce() {
    var autoscaler = scaler(minimum: 3, maximum: 8)
    let decision = autoscaler.decide(snapshot(), now: .zero)
    #expect(decision == .spawn(count: 3, reason: "0 children, below minimum 3: +3"))
    // Not a scale-up: it does not delay a later scale-down.
    #expect(autoscaler.lastScaleUp == nil)
    #expect(autoscaler.decide(snapshot(busy: 1, idle: 1), now: .zero).delta == 1)
  }

  @Test func retiresIdleExcessAboveMaximum() {
    var autoscaler = scaler(minimum: 1, maximum: 8)
    #expect(
      autoscaler.decide(snapshot(busy: 5, idle: 5), now: .zero)
        == .retire(count: 2, reason: "10 children, above maximum 8, 5 idle: -2"))
    #expect(autoscaler.decide(snapshot(busy: 9, idle: 1), now: .zero).delta == -1)
    #expect(
      autoscaler.decide(snapshot(depth: 4, busy: 10), now: .zero)
        == .hold(reason: "10 children, above maximum 8, none idle: hold"))
  }

  @Test func aNewConfigurationTakesEffectAtTheNextTick() throws {
    var autoscaler = scaler(minimum: 1, maximum: 8)
    autoscaler.configuration = try AutoscalerConfiguration(minimum: 4, maximum: 8)
    #expect(autoscaler.decide(snapshot(idle: 2), now: .zero).delta == 2)
  }

  /// Random snapshots: no decision ever breaks a bound.
  @Test func decisionsKeepTheBoundsOnRandomSnapshots() {
    var random = SplitMix(seed: 42)
    for trial in 0..<200 {
      let minimum = Int(random.next() % 4) + 1
      let maximum = minimum + Int(random.next() % 12)
      var autoscaler = scaler(minimum: minimum, maximum: maximum, scaleDownStep: 3)
      var now = MonotonicTime.zero
      for _ in 0..<300 {
        let busy = Int(random.next() % 20)
        let idle = Int(random.next() % 20)
        let starting = Int(random.next() % 3)
        let total = busy + idle + starting
        let depth = random.next() % 3 == 0 ? 0 : Int(random.next() % 50)
        let decision = autoscaler.decide(
          snapshot(depth: depth, busy: busy, idle: idle, total: total), now: now)
        switch decision {
        case .hold:
          break
        case .spawn(let count, _):
          #expect(count >= 1, "trial \(trial)")
          #expect(total + count <= max(maximum, minimum), "trial \(trial)")
          if total >= minimum {
            #expect(total + count <= depth + busy, "trial \(trial): beyond demand")
          }
        case .retire(let count, _):
          #expect(count >= 1 && count <= idle, "trial \(trial)")
          #expect(total - count >= minimum, "trial \(trial)")
        }
        now += .seconds(Int(random.next() % 20))
      }
    }
  }
}

/// A small seeded generator for the property test.
private struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
