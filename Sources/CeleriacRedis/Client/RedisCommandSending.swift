import NIOCore

/// Something that sends Redis commands and answers with futures (a connection or a client);
/// the `async` forms are written once, here.
public protocol RedisCommandSending {
  /// Sends one command; the future fails with `.serverError` for an error reply.
  func sendFuture(_ command: [any RESPArgument], timeout: TimeAmount?) -> EventLoopFuture<
    RESPValue
  >

  /// Sends commands in one pipeline; the future holds one reply per command, errors in place.
  func pipelineFuture(_ commands: [[any RESPArgument]], timeout: TimeAmount?)
    -> EventLoopFuture<[RESPValue]>
}

extension RedisCommandSending {
  /// Sends one command and suspends until its reply; error replies throw `.serverError`.
  public func send(_ command: [any RESPArgument], timeout: TimeAmount? = nil) async throws
    -> RESPValue
  {
    try await self.sendFuture(command, timeout: timeout).get()
  }

  /// Sends commands in one pipeline and suspends until all replies are in (errors included).
  public func pipeline(_ commands: [[any RESPArgument]], timeout: TimeAmount? = nil) async throws
    -> [RESPValue]
  {
    try await self.pipelineFuture(commands, timeout: timeout).get()
  }
}
