// swift-tools-version: 6.1
import PackageDescription

/// Celeriac in a Hummingbird 2 server: the app reached from the request context, and its
/// connections run as a ServiceLifecycle service of the `Application`.
let package = Package(
  name: "CeleriacHummingbird",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "CeleriacHummingbird", targets: ["CeleriacHummingbird"])
  ],
  dependencies: [
    .package(name: "Celeriac", path: "../.."),
    .package(path: "../CeleriacServiceLifecycle"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
  ],
  targets: [
    .target(
      name: "CeleriacHummingbird",
      dependencies: [
        .product(name: "Celeriac", package: "Celeriac"),
        .product(name: "CeleriacServiceLifecycle", package: "CeleriacServiceLifecycle"),
        .product(name: "Hummingbird", package: "hummingbird"),
      ]
    ),
    .testTarget(
      name: "CeleriacHummingbirdTests",
      dependencies: [
        "CeleriacHummingbird",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]
    ),
  ]
)
