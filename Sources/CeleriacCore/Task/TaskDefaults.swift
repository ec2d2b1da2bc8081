/// What a registered task uses unless a send overrides it.
public struct TaskDefaults: Sendable {
  /// The queue it is sent to.
  public var queue: String
  /// Delivery and result options.
  public var options: TaskOptions
  /// Time limits (`nil` fields: the worker's).
  public var timeLimit: TimeLimits
  /// Automatic retries on failure; `nil`: none.
  public var retry: RetryPolicy?
  /// The priority it is sent with (see ``TaskPriority``); `nil`: Celery's default, 0.
  public var priority: Int?
  /// How often each worker starts it at most (Celery's `rate_limit`); `nil`: no limit. A task
  /// over its rate waits in the broker (sent back with an ETA), never in a child.
  public var rateLimit: RateLimit?
  /// Whom ``rateLimit`` binds: each worker on its own (``RateLimitScope/worker``, Celery's
  /// meaning, the default) or every worker sharing the broker (``RateLimitScope/global``).
  public var rateLimitScope: RateLimitScope

  /// Creates defaults.
  public init(
    queue: String = TaskOptions.defaultQueue, options: TaskOptions = TaskOptions(),
    timeLimit: TimeLimits = TimeLimits(), retry: RetryPolicy? = nil, priority: Int? = nil,
    rateLimit: RateLimit? = nil, rateLimitScope: RateLimitScope = .defaultScope
  ) {
    self.queue = queue
    self.options = options
    self.timeLimit = timeLimit
    self.retry = retry
    self.priority = priority
    self.rateLimit = rateLimit
    self.rateLimitScope = rateLimitScope
  }
}

/// When and how a failed task is tried again (Celery's `autoretry_for`, `max_retries`,
/// `retry_backoff`, `retry_backoff_max`, `retry_jitter`).
public struct RetryPolicy: Sendable, Equatable {
  /// How many retries at most.
  public var maxRetries: Int
  /// The delay before the first retry; doubled for each further one.
  public var backoff: Duration
  /// The largest delay.
  public var maxBackoff: Duration
  /// Pick the delay at random between zero and the computed one.
  public var jitter: Bool
  /// Error type names to retry on; empty means every error.
  public var retryOn: Set<String>

  /// Creates a policy.
  public init(
    maxRetries: Int = 3, backoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(600),
    jitter: Bool = true, retryOn: Set<String> = []
  ) {
    self.maxRetries = maxRetries
    self.backoff = backoff
    self.maxBackoff = maxBackoff
    self.jitter = jitter
    self.retryOn = retryOn
  }

  /// Whether a failure of type `errorType` after `retries` retries is tried again.
  public func shouldRetry(errorType: String, retries: Int) -> Bool {
    retries < maxRetries && (retryOn.isEmpty || retryOn.contains(errorType))
  }

  /// The delay before retry number `retries + 1`; `random` is in `0..<1`.
  public func delay(afterRetries retries: Int, random: Double) -> Duration {
    let exponent = min(retries, 30)
    let full = min(backoff * (1 << exponent), maxBackoff)
    return jitter ? full * random : full
  }
}
