/// The workflow parts a task message carries beside its arguments: Celery protocol 2's
/// `embed` (`callbacks`, `errbacks`, `chain`, `chord`), kept as the signatures Celery writes.
///
/// A worker runs the message's own task, then publishes what follows from its outcome (see
/// ``TaskSignature`` and ``WorkflowFollowUps``). Parts a worker cannot honour are named by
/// ``unsupportedReason`` so that the task is refused before it runs instead of running with
/// them silently dropped.
public struct TaskWorkflow: Codable, Sendable, Equatable {
  /// `link`: signatures called with the task's result when it succeeds.
  public var callbacks: [JSONValue]?
  /// `link_error`: signatures called with the task's id when it fails.
  public var errbacks: [JSONValue]?
  /// The chain's remaining steps, the next one last (Celery's order).
  public var chain: [JSONValue]?
  /// The body of the chord this task is a header part of.
  public var chord: JSONValue?

  /// Creates a workflow.
  public init(
    callbacks: [JSONValue]? = nil, errbacks: [JSONValue]? = nil, chain: [JSONValue]? = nil,
    chord: JSONValue? = nil
  ) {
    self.callbacks = callbacks
    self.errbacks = errbacks
    self.chain = chain
    self.chord = chord
  }

  /// Whether it holds no part at all (an empty list counts as none).
  public var isEmpty: Bool {
    (callbacks ?? []).isEmpty && (errbacks ?? []).isEmpty && (chain ?? []).isEmpty
      && (chord == nil || chord == .null)
  }

  /// Why a worker cannot honour this workflow, or `nil` when every part is a plain task
  /// signature it can publish: chords (their parts must be counted across workers) and nested
  /// canvas signatures (a group or chain used as a callback or step) are refused.
  public var unsupportedReason: String? { unsupportedReason(countingChords: false) }

  /// Why a worker cannot honour this workflow; with `countingChords` (its broker counts chord
  /// parts, ``ChordCounting``) a chord part is refused only when its body is not a plain task
  /// signature.
  public func unsupportedReason(countingChords: Bool) -> String? {
    if let chord, chord != .null {
      guard countingChords else {
        return "the task is part of a chord, which this worker does not run yet"
      }
      do {
        _ = try TaskSignature(chord)
      } catch {
        return "chord body: \(error.message)"
      }
    }
    for (part, signatures) in [
      ("link", callbacks ?? []), ("link_error", errbacks ?? []), ("chain", chain ?? []),
    ] {
      for signature in signatures {
        do {
          _ = try TaskSignature(signature)
        } catch {
          return "\(part): \(error.message)"
        }
      }
    }
    return nil
  }
}
