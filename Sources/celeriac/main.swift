import Celeriac
import CeleriacCLI

/// This repository's own app: the example tasks behind Celeriac's command line. It is the
/// demo, the test subject and the benchmark subject.
let app = CeleriacApp(name: "celeriac")
ExampleTasks.register(in: app)
CeleriacCommandLine.main(app: app, commands: [DemoCommand.self])
