/// A broker that counts chord parts in the same atomic write that stores their results and
/// acknowledges them, so that the part completing a chord is known exactly once, and that
/// finishes a completed chord (publishes its body, or fails it) exactly once under a claim.
///
/// The Redis broker counts as Celery's Redis backend does (`celery-taskset-meta-<group>.j`
/// sorted set, `.s` size, `.t` extra count, `.d` seen parts, `.c` claim), so that Celery and
/// Celeriac workers can share a chord.
public protocol ChordCounting: OutcomeCommitting {
  /// Records a new chord's header size before its header is sent (Celery's
  /// `set_chord_size`), clearing a claim left by an earlier run of the same group id.
  func prepareChord(groupID: String, size: Int, expiresIn: Duration?) throws

  /// Like ``OutcomeCommitting/commit(publishing:results:expiresIn:acknowledging:)``, and counts
  /// `parts` in the same atomic write. Returns the chords whose last part this commit counted
  /// (this worker now holds their claim).
  func commit(
    publishing messages: [TaskMessage], results: [TaskResultRecord], expiresIn: Duration?,
    acknowledging tags: [DeliveryTag], chordParts parts: [ChordPart]
  ) throws -> [CompletedChord]

  /// Publishes the body of a completed chord (or stores its failure and publishes its
  /// errbacks) and clears the chord's counters, atomically and only while `chord.token` still
  /// holds the claim. Returns `false` when the claim was lost (someone else finishes it).
  func finish(
    _ chord: CompletedChord, expiresIn: Duration?, defaultQueue: (String) -> String
  ) throws -> Bool

  /// Completed chords whose finisher has not finished them for `age` (a supervisor that died
  /// between counting and finishing); their claims are taken over by this call.
  func takeOverAbandonedChords(olderThan age: Duration) throws -> [CompletedChord]
}
