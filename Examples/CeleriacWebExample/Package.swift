// swift-tools-version: 6.1
import PackageDescription

/// The example web app: a Hummingbird server whose pages send Celeriac tasks (a thumbnail of
/// an uploaded PNG, a PDF report, factoring a number, counting files) and show their progress
/// and result, and whose own binary is the Celeriac worker that runs them (`worker`).
let package = Package(
  name: "CeleriacWebExample",
  platforms: [.macOS(.v15)],
  dependencies: [
    .package(name: "Celeriac", path: "../.."),
    .package(path: "../../Integrations/CeleriacHummingbird"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
  ],
  targets: [
    .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
    .executableTarget(
      name: "CeleriacWebExample",
      dependencies: [
        "CZlib",
        .product(name: "CeleriacCLI", package: "Celeriac"),
        .product(name: "CeleriacHummingbird", package: "CeleriacHummingbird"),
        .product(name: "Hummingbird", package: "hummingbird"),
      ]
    ),
  ]
)
