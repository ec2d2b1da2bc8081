import CeleriacCore

/// The supervisor's pools, in the order they were configured and by name.
///
/// A pool's name is its identity: children, restarts and remote control find their pool by
/// name, and a reload keeps the state of pools whose name it keeps.
struct PoolTable: Sequence {
  private var ordered: [PoolState]
  private var byName: [String: PoolState]

  /// A table of `pools`; names are unique (the configuration checked that).
  init(_ pools: [PoolState] = []) {
    ordered = pools
    byName = Dictionary(pools.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// The pool named `name`, if there is one.
  subscript(name: String) -> PoolState? { byName[name] }

  /// The first pool configured (remote control's `add_consumer` adds queues to it).
  var first: PoolState? { ordered.first }

  /// Every reserved delivery, pool by pool.
  var reserved: [Delivery] { ordered.flatMap(\.reserved) }

  /// The pools in configuration order.
  func makeIterator() -> IndexingIterator<[PoolState]> { ordered.makeIterator() }
}
