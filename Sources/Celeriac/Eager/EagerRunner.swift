/// Runs a task message in the calling process and stores its outcome (eager mode).
struct EagerRunner {
  let registry: TaskRegistry
  let backend: any ResultBackend

  /// Runs the task; throws its error after storing `FAILURE`.
  func run(_ message: TaskMessage) async throws {
    guard let task = registry[message.name] else {
      let failure = TaskFailure(
        type: TaskFailure.notRegistered, message: "task '\(message.name)' is not registered",
        module: TaskFailure.celeryExceptionsModule)
      try store(message, state: .failure, failure: failure)
      throw failure
    }
    let backend = self.backend
    let context = TaskContext(
      taskID: message.id, name: message.name, retries: message.retries, queue: message.queue
    ) { state, meta in
      try? backend.store(
        [TaskResultRecord(taskID: message.id, state: state, result: meta, name: message.name)],
        expiresIn: nil)
    }
    do {
      let value = try await task.handler(message.args, message.kwargs, context)
      try store(message, state: .success, result: value)
    } catch {
      let failure = TaskFailure(describing: error)
      try store(message, state: .failure, failure: failure)
      throw failure
    }
  }

  private func store(
    _ message: TaskMessage, state: TaskState, result: JSONValue? = nil,
    failure: TaskFailure? = nil
  ) throws {
    try backend.store(
      [
        TaskResultRecord(
          taskID: message.id, state: state, result: result, failure: failure,
          name: message.name, retries: message.retries)
      ], expiresIn: nil)
  }
}
