extension TaskWorkflow {
  /// The most signatures ``selfReference(taskID:)`` looks at (links of links included).
  public static let maximumInspectedSignatures = 10_000
  /// The deepest nesting of links it follows.
  public static let maximumInspectedDepth = 64

  /// Why this workflow refers to the task that carries it, or `nil`: a link, errback, chain
  /// step or chord body (or a link of one of them, to a bounded depth) whose `task_id` is
  /// `taskID`. Run, it would store its result over the task's own and could call itself
  /// again; it is refused before the task runs. Signatures beyond the bounds are not looked
  /// at (the worker refuses nothing for them; they are sent as any other).
  public func selfReference(taskID: String) -> String? {
    var pending: [(JSONValue, String, Int)] = []
    for (part, signatures) in [
      ("link", callbacks ?? []), ("link_error", errbacks ?? []), ("chain", chain ?? []),
      ("chord body", chord.map { [$0] } ?? []),
    ] {
      pending += signatures.map { ($0, part, 0) }
    }
    var inspected = 0
    while let (signature, part, depth) = pending.popLast(),
      inspected < Self.maximumInspectedSignatures
    {
      inspected += 1
      guard case .object(let fields) = signature, case .object(let options)? = fields["options"]
      else { continue }
      if options["task_id"]?.stringValue == taskID {
        return "the workflow refers to its own task: a \(part) has task id \(taskID.prefix(80))"
      }
      guard depth < Self.maximumInspectedDepth else { continue }
      for key in ["link", "link_error"] {
        switch options[key] {
        case .array(let nested)?: pending += nested.map { ($0, part, depth + 1) }
        case .object(let single)?: pending.append((.object(single), part, depth + 1))
        default: break
        }
      }
    }
    return nil
  }
}
