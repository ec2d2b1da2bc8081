extension TaskFailure {
  /// Describes any error a task threw in Celery's terms: a ``TaskFailure`` as it is, a soft
  /// time limit as `SoftTimeLimitExceeded`, anything else by its Swift type and description.
  public init(describing error: any Error) {
    switch error {
    case let failure as TaskFailure:
      self = failure
    case is SoftTimeLimitExceeded, is CancellationError:
      self.init(
        type: TaskFailure.softTimeLimitExceeded, message: "soft time limit exceeded",
        module: TaskFailure.celeryExceptionsModule)
    case let error as CeleriacError:
      self.init(type: "CeleriacError", message: error.message, module: "celeriac")
    default:
      self.init(
        type: String(describing: Swift.type(of: error)), message: String(describing: error),
        module: "celeriac")
    }
  }
}
