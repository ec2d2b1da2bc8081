import ArgumentParser

/// `celeriac control …`: Celery's remote-control commands, sent to every live worker.
struct ControlCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "control", abstract: "Change running workers (revoke, pools, shutdown, events).",
    subcommands: [
      RemoteControlVerbCommand<ControlRevoke, RevokeArguments>.self,
      RemoteControlVerbCommand<ControlPoolGrow, PoolStepArgument>.self,
      RemoteControlVerbCommand<ControlPoolShrink, PoolStepArgument>.self,
      RemoteControlVerbCommand<ControlShutdown, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<ControlEnableEvents, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<ControlDisableEvents, NoRemoteControlArguments>.self,
      RemoteControlVerbCommand<ControlRateLimit, RateLimitArguments>.self,
      RemoteControlVerbCommand<ControlAutoscale, AutoscaleArguments>.self,
      RemoteControlVerbCommand<ControlAddConsumer, QueueArgument>.self,
      RemoteControlVerbCommand<ControlCancelConsumer, QueueArgument>.self,
    ])
}
