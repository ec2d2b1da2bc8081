import CeleriacCore
import Foundation
import Synchronization

/// Beat's scheduler: one ``turn(now:)`` at a time takes or renews the leader lease, reloads
/// changed dynamic entries and, while leading, publishes every due time through
/// ``BeatStore/publish(_:entry:due:leader:)`` — which is what makes each due time go out
/// exactly once however many beats run.
///
/// It does no I/O of its own besides the store, keeps no timer and never sleeps: the caller
/// (`celeriac beat`, `celeriac worker -B`, a test with a fake clock) calls ``turn(now:)`` and
/// waits until ``BeatTurnReport/wakeAt``.
public final class BeatScheduler: Sendable {
  /// The configuration.
  public let configuration: BeatSchedulerConfiguration
  private let store: any BeatStore
  private let makeMessage: @Sendable (ScheduleEntry, Date) -> TaskMessage
  private let state: Mutex<State>

  private struct Active {
    var entry: ScheduleEntry
    /// The last due time published (or skipped), as far as this beat knows.
    var lastRun: Date?
    /// Due times up to this are never published: when the entry appeared or was re-enabled
    /// while this beat ran (no catch-up for a time it was not scheduled).
    var notBefore: Date?
    var nextDue: Date?
  }

  private struct State {
    var staticEntries: [ScheduleEntry]
    var catalog: BeatCatalog?
    var revision: Int64?
    var active: [String: Active] = [:]
    var started: Date?
    var isLeader = false
    var runsLoaded = false
    var nextLeaseAt = Date.distantPast
    var nextRefreshAt = Date.distantPast
    /// The entry due next, cached until an entry's next due time changes.
    var soonest: (name: String, due: Date)?
    var soonestIsCurrent = false
  }

  /// A scheduler for the static `schedule` (a file's or the app's) and the store's dynamic
  /// entries; `makeMessage` builds the task message of an entry's due time (see
  /// `CeleriacApp.beatMessage(for:due:)`).
  public init(
    schedule: BeatSchedule, store: any BeatStore,
    configuration: BeatSchedulerConfiguration = BeatSchedulerConfiguration(),
    makeMessage: @escaping @Sendable (ScheduleEntry, Date) -> TaskMessage
  ) {
    self.configuration = configuration
    self.store = store
    self.makeMessage = makeMessage
    self.state = Mutex(State(staticEntries: schedule.entries))
  }

  /// Replaces the static entries (a reloaded schedule file); the next turn applies it.
  public func replaceSchedule(_ schedule: BeatSchedule) {
    state.withLock { state in
      state.staticEntries = schedule.entries
      state.catalog = nil
      state.nextRefreshAt = .distantPast
    }
  }

  /// Whether this beat held the lease at its last turn.
  public var isLeader: Bool { state.withLock { $0.isLeader } }

  /// One step: lease, entries, due times. Store errors do not throw: they are reported as
  /// events and this beat stands by (not leading) until the store answers again.
  public func turn(now: Date = Date()) -> BeatTurnReport {
    state.withLock { state in
      var events: [BeatEvent] = []
      if state.started == nil { state.started = now }
      do {
        try maintainLease(&state, now: now, events: &events)
        try refreshEntries(&state, now: now, events: &events)
        if state.isLeader {
          if !state.runsLoaded { try loadLastRuns(&state) }
          try publishDue(&state, now: now, events: &events)
        }
      } catch {
        if state.isLeader { events.append(.lostLeadership) }
        state.isLeader = false
        state.runsLoaded = false
        state.nextLeaseAt = now.addingTimeInterval(configuration.leaderLease.seconds / 4)
        events.append(.brokerError("\(error)"))
      }
      if !state.soonestIsCurrent {
        state.soonest = soonest(of: state.active)
        state.soonestIsCurrent = true
      }
      return report(state, now: now, events: events)
    }
  }

  /// Gives up the lease (a clean shutdown), so another beat takes over at once.
  public func resign() {
    state.withLock { state in
      if state.isLeader { try? store.resignLeadership(configuration.holder) }
      state.isLeader = false
    }
  }

  // MARK: - Steps

  private func maintainLease(_ state: inout State, now: Date, events: inout [BeatEvent]) throws {
    guard now >= state.nextLeaseAt else { return }
    let leads = try store.acquireLeadership(configuration.holder, lease: configuration.leaderLease)
    if leads && !state.isLeader {
      events.append(.becameLeader)
      state.runsLoaded = false
    } else if !leads && state.isLeader {
      events.append(.lostLeadership)
    }
    state.isLeader = leads
    // The leader renews at a third of the lease; the others try at a quarter, so that a dead
    // leader is replaced within about 1.25 leases.
    let fraction = leads ? 3.0 : 4.0
    state.nextLeaseAt = now.addingTimeInterval(configuration.leaderLease.seconds / fraction)
  }

  private func refreshEntries(_ state: inout State, now: Date, events: inout [BeatEvent]) throws {
    guard now >= state.nextRefreshAt || state.catalog == nil else { return }
    state.nextRefreshAt = now.addingTimeInterval(configuration.refreshInterval.seconds)
    let revision = try store.revision()
    guard revision != state.revision || state.catalog == nil else { return }
    let catalog = BeatCatalog(static: state.staticEntries, stored: try store.storedEntries())
    let firstLoad = state.revision == nil
    state.revision = revision
    state.catalog = catalog
    var active: [String: Active] = [:]
    for item in catalog.items where item.enabled {
      let name = item.entry.name
      var entry = state.active[name] ?? Active(entry: item.entry)
      // An entry that appears (or comes back) while this beat runs starts from now.
      if state.active[name] == nil && !firstLoad { entry.notBefore = now }
      entry.entry = item.entry
      entry.nextDue = nextDue(of: entry, started: state.started ?? now)
      active[name] = entry
    }
    state.active = active
    state.soonestIsCurrent = false
    events.append(
      .entriesLoaded(enabled: active.count, total: catalog.items.count))
    if !catalog.shadowed.isEmpty { events.append(.shadowed(names: catalog.shadowed)) }
  }

  private func loadLastRuns(_ state: inout State) throws {
    let runs = try store.lastRuns()
    for name in state.active.keys {
      guard let stored = runs[name] else { continue }
      state.active[name]!.lastRun = max(stored, state.active[name]!.lastRun ?? stored)
      state.active[name]!.nextDue = nextDue(
        of: state.active[name]!, started: state.started ?? stored)
    }
    state.runsLoaded = true
    state.soonestIsCurrent = false
  }

  private func publishDue(_ state: inout State, now: Date, events: inout [BeatEvent]) throws {
    let started = state.started ?? now
    // Nothing is due before the soonest entry: an idle turn looks at no entry at all.
    if state.soonestIsCurrent && (state.soonest.map { $0.due > now } ?? true) { return }
    // Only the due entries, in name order.
    let due = state.active.compactMap { name, active in
      active.nextDue.map { $0 <= now } == true ? name : nil
    }
    if !due.isEmpty { state.soonestIsCurrent = false }
    for name in due.sorted() {
      guard var active = state.active[name] else { continue }
      let plan = DuePlan.make(
        for: active.entry, after: after(active, started: started), now: now,
        catchUpWindow: configuration.catchUpWindow)
      if plan.missed > 0, let latest = plan.skippedThrough ?? plan.publish.first {
        events.append(
          .missed(entry: name, count: plan.missed, policy: active.entry.missedRuns, latest: latest))
      }
      if let skipped = plan.skippedThrough { active.lastRun = skipped }
      for due in plan.publish {
        let message = makeMessage(active.entry, due)
        switch try store.publish(message, entry: name, due: due, leader: configuration.holder) {
        case .published:
          active.lastRun = due
          events.append(.published(entry: name, due: due, taskID: message.id))
        case .alreadyPublished(let last):
          active.lastRun = max(last, due)
          events.append(.alreadyPublished(entry: name, due: due))
        case .notLeader:
          state.active[name] = active
          state.isLeader = false
          state.runsLoaded = false
          events.append(.lostLeadership)
          return
        }
      }
      active.nextDue = nextDue(of: active, started: started)
      state.active[name] = active
    }
  }

  // MARK: - Helpers

  private func after(_ active: Active, started: Date) -> Date {
    let base = active.lastRun ?? started
    guard let notBefore = active.notBefore else { return base }
    return max(base, notBefore)
  }

  private func nextDue(of active: Active, started: Date) -> Date? {
    active.entry.nextDue(after: after(active, started: started))
  }

  private func soonest(of entries: [String: Active]) -> (name: String, due: Date)? {
    var next: (name: String, due: Date)?
    for (name, active) in entries {
      guard let due = active.nextDue else { continue }
      if next.map({ due < $0.due || (due == $0.due && name < $0.name) }) ?? true {
        next = (name, due)
      }
    }
    return next
  }

  private func report(_ state: State, now: Date, events: [BeatEvent]) -> BeatTurnReport {
    let next = state.soonest
    var wake = min(state.nextLeaseAt, state.nextRefreshAt)
    if state.isLeader, let next { wake = min(wake, next.due) }
    return BeatTurnReport(
      events: events, isLeader: state.isLeader, wakeAt: max(wake, now),
      nextEntry: next?.name, nextDue: next?.due,
      enabledEntries: state.active.count)
  }
}

/// What one ``BeatScheduler/turn(now:)`` did, and when the next one is needed.
public struct BeatTurnReport: Sendable, Equatable {
  /// What happened, in order.
  public var events: [BeatEvent]
  /// Whether this beat leads.
  public var isLeader: Bool
  /// When the next turn is needed (the next due time, lease renewal or refresh).
  public var wakeAt: Date
  /// The entry due next, if any.
  public var nextEntry: String?
  /// Its due time.
  public var nextDue: Date?
  /// How many entries are enabled.
  public var enabledEntries: Int

  /// One line for systemd's STATUS: `leader, 3 entries, next tick at 2026-…`.
  public var statusLine: String {
    var line = "\(isLeader ? "leader" : "standby"), \(enabledEntries) entries"
    if let nextEntry, let nextDue { line += ", next \(nextEntry) at \(ISO8601.format(nextDue))" }
    return line
  }
}
