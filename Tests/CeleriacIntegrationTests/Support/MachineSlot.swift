import Foundation
import Testing

/// At most one integration test a processor core at once, across every suite that carries it.
///
/// Each integration test starts real workers and servers, and some measure how work interleaves
/// (a task sent while a backlog runs, a child killed mid-chord). Their suites would otherwise
/// all run at once, as their tests await instead of holding a thread, and load the machine far
/// beyond what those timings assume.
struct MachineSlot: SuiteTrait, TestTrait, TestScoping {
  var isRecursive: Bool { true }

  func provideScope(
    for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
  ) async throws {
    guard testCase != nil else { return try await function() }
    await MachineSlots.shared.acquire()
    do {
      try await function()
    } catch {
      await MachineSlots.shared.release()
      throw error
    }
    await MachineSlots.shared.release()
  }
}

extension Trait where Self == MachineSlot {
  /// Runs each test of the suite in one of the machine's slots (``MachineSlot``).
  static var machineSlot: Self { MachineSlot() }
}

/// The slots ``MachineSlot`` hands out: one a processor core, and at least two.
private actor MachineSlots {
  static let shared = MachineSlots(count: max(2, ProcessInfo.processInfo.activeProcessorCount))

  private var free: Int
  private var waiting: [CheckedContinuation<Void, Never>] = []

  init(count: Int) { free = count }

  /// Waits for a free slot and takes it.
  func acquire() async {
    if free > 0 {
      free -= 1
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  /// Hands the slot to the longest waiter, or frees it.
  func release() {
    if waiting.isEmpty {
      free += 1
    } else {
      waiting.removeFirst().resume()
    }
  }
}
