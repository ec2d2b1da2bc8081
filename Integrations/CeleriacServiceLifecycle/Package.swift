// swift-tools-version: 6.1
import PackageDescription

/// `CeleriacService`: a ServiceLifecycle `Service` that owns a Celeriac app's broker and
/// backend connections and closes them on graceful shutdown.
let package = Package(
  name: "CeleriacServiceLifecycle",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "CeleriacServiceLifecycle", targets: ["CeleriacServiceLifecycle"])
  ],
  dependencies: [
    .package(name: "Celeriac", path: "../.."),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
  ],
  targets: [
    .target(
      name: "CeleriacServiceLifecycle",
      dependencies: [
        .product(name: "Celeriac", package: "Celeriac"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]
    )
  ]
)
