/// Checks every signature of one canvas (steps, members, header, body and their links, to
/// any depth allowed) before anything is sent: each names a task, its options are in range,
/// no task id is given twice (a canvas that refers to itself), and the canvas is bounded in
/// size and depth.
struct CanvasValidation {
  /// Where each explicit task id was seen first.
  private var seen: [String: String] = [:]
  private var count = 0

  /// Checks the signatures in order; `place` names each one for the error (e.g. "step 2 of
  /// the chain").
  static func check(_ signatures: [(Signature, String)]) throws(CanvasError) {
    var validation = CanvasValidation()
    for (signature, place) in signatures { try validation.visit(signature, place, depth: 0) }
  }

  private mutating func visit(_ signature: Signature, _ place: String, depth: Int)
    throws(CanvasError)
  {
    count += 1
    guard count <= CeleriacApp.maximumCanvasSize else {
      throw CanvasError(
        .tooLarge, "a canvas may have at most \(CeleriacApp.maximumCanvasSize) signatures")
    }
    guard depth <= CanvasError.maximumDepth else {
      throw CanvasError(
        .tooDeep, "\(place): links nest deeper than \(CanvasError.maximumDepth) levels")
    }
    guard !signature.name.isEmpty else {
      throw CanvasError(.noTaskName, "\(place): the signature names no task")
    }
    let what = "\(place) (\(signature.name.prefix(80)))"
    guard signature.name.utf8.count <= TaskMessageLimits.maximumNameLength else {
      throw CanvasError(
        .noTaskName,
        "\(what): the task name is longer than \(TaskMessageLimits.maximumNameLength) bytes")
    }
    if let priority = signature.options.priority, let problem = TaskPriority.problem(with: priority)
    {
      throw CanvasError(.invalidOption, "\(what): \(problem)")
    }
    if let id = signature.options.taskID {
      guard !id.isEmpty, id.utf8.count <= TaskMessageLimits.maximumNameLength else {
        throw CanvasError(
          .invalidOption,
          "\(what): a task id must be 1…\(TaskMessageLimits.maximumNameLength) bytes")
      }
      if let first = seen[id] {
        throw CanvasError(
          .cycle,
          "\(what) has task id \(id.prefix(80)), already that of \(first): a canvas may not refer to itself"
        )
      }
      seen[id] = what
    }
    for (index, link) in signature.links.enumerated() {
      try visit(link, "link \(index + 1) of \(place)", depth: depth + 1)
    }
    for (index, link) in signature.errorLinks.enumerated() {
      try visit(link, "link_error \(index + 1) of \(place)", depth: depth + 1)
    }
  }
}
