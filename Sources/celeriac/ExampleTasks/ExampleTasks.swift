import Celeriac

/// The example tasks, taken from the kind of work a web app hands to a queue.
enum ExampleTasks {
  /// Registers every example task.
  static func register(in app: CeleriacApp) {
    app.register(Add())
    app.register(Xsum())
    app.register(Noop())
    app.register(SleepTask())
    app.register(Factor())
    app.register(CountFiles())
    app.register(Thumbnail())
    app.register(RenderPDF())
    app.register(Fail())
    app.register(Crash())
    app.register(Hang())
    app.register(Progress())
    app.register(Flaky())
    app.register(Record())
    app.register(Throttled())
    app.register(ThrottledGlobal())
    app.register(AllocateMemory())
  }
}
