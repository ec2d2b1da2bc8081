// swift-tools-version: 6.1
import PackageDescription

/// Celeriac in a Vapor 4 server: `app.celeriac.use(...)` at configuration, `req.celeriac` in
/// route handlers, and the app's connections opened at boot and closed at shutdown.
let package = Package(
  name: "CeleriacVapor",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "CeleriacVapor", targets: ["CeleriacVapor"])
  ],
  dependencies: [
    .package(name: "Celeriac", path: "../.."),
    .package(url: "https://github.com/vapor/vapor", from: "4.122.3"),
  ],
  targets: [
    .target(
      name: "CeleriacVapor",
      dependencies: [
        .product(name: "Celeriac", package: "Celeriac"),
        .product(name: "Vapor", package: "vapor"),
      ]
    ),
    .testTarget(
      name: "CeleriacVaporTests",
      dependencies: [
        "CeleriacVapor",
        .product(name: "VaporTesting", package: "vapor"),
      ]
    ),
  ]
)
