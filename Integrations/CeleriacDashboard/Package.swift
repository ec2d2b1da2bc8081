// swift-tools-version: 6.1
import PackageDescription

/// The web dashboard, `celeriac dashboard` (the core command line runs the
/// `celeriac-dashboard` executable built here): a Hummingbird server with live charts, the
/// workers and their pools, the task list and task pages, dead letters, revoke and terminate.
/// A package of its own so that the core `celeriac` build does not carry a web server.
let package = Package(
  name: "CeleriacDashboard",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "CeleriacDashboard", targets: ["CeleriacDashboard"]),
    .executable(name: "celeriac-dashboard", targets: ["celeriac-dashboard"]),
  ],
  dependencies: [
    .package(name: "Celeriac", path: "../.."),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
  ],
  targets: [
    .target(
      name: "CeleriacDashboard",
      dependencies: [
        .product(name: "Celeriac", package: "Celeriac"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
      ]
    ),
    .executableTarget(
      name: "celeriac-dashboard",
      dependencies: [
        "CeleriacDashboard",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(
      name: "CeleriacDashboardTests",
      dependencies: [
        "CeleriacDashboard",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
      ]
    ),
  ]
)
