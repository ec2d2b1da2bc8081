import CeleriacCore

extension Supervisor {
  /// How long a claimed chord may stay unfinished before another supervisor takes it over
  /// (its finisher died between counting the last part and publishing the body).
  static let abandonedChordAge: Duration = .seconds(10)

  /// The broker as a chord counter, when it counts parts where the backend stores results.
  var chordCounter: (any ChordCounting)? {
    guard let counter = broker as? any ChordCounting, counter.sharesStorage(with: backend) else {
      return nil
    }
    return counter
  }

  /// Whether this worker runs chord header tasks (its broker counts their parts).
  var countsChords: Bool { chordCounter != nil }

  /// Collects the part `message` contributes to its chord, if it is a header task.
  func noteChordPart(_ message: TaskMessage, _ outcome: ChordPartOutcome) {
    guard countsChords, let part = ChordPart(message: message, outcome: outcome) else { return }
    pending.countChordPart(part)
  }

  /// Takes over chords another supervisor claimed and never finished.
  func takeOverAbandonedChords() throws {
    guard let counter = chordCounter else { return }
    let taken = try counter.takeOverAbandonedChords(olderThan: Self.abandonedChordAge)
    for chord in taken {
      logger.warning("chord \(chord.body.groupID) was left unfinished: finishing it")
    }
    pending.finish(taken)
  }
}
