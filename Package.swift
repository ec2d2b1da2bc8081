// swift-tools-version: 6.1
import PackageDescription

/// Celeriac: a distributed task queue for Swift on Linux.
///
/// Targets, from the bottom up (see ARCHITECTURE.md):
/// - `CShims`, `CSystemd`: C interop (prctl, posix_spawn with `_GNU_SOURCE`, pidfd; libsystemd,
///   loaded on first use under systemd).
/// - `CeleriacCore`: the task model, registry, and the broker / result backend protocols.
/// - `CeleriacSQLite`, `CeleriacRedis`: the two broker and backend implementations.
/// - `Celeriac`: the producer API (`CeleriacApp`, `send`, `AsyncResult`, eager mode).
/// - `CeleriacWorker`: the supervisor, its pools, the policies, and the child runtime.
/// - `CeleriacCLI`: the command line every Celeriac app binary gets.
/// - `celeriac`: this repository's app, with the example tasks.
let package = Package(
  name: "Celeriac",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "Celeriac", targets: ["Celeriac"]),
    .library(name: "CeleriacCLI", targets: ["CeleriacCLI"]),
    .executable(name: "celeriac", targets: ["celeriac"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
  ],
  targets: [
    .target(name: "CShims"),
    .target(name: "CSystemd"),
    .target(
      name: "CeleriacCore",
      dependencies: [.product(name: "Logging", package: "swift-log")]
    ),
    .target(
      name: "CeleriacSQLite",
      dependencies: [
        "CeleriacCore",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    .target(
      name: "CeleriacRedis",
      dependencies: [
        "CeleriacCore",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    .target(
      name: "Celeriac",
      dependencies: [
        "CeleriacCore", "CeleriacSQLite", "CeleriacRedis",
        .product(name: "NIOCore", package: "swift-nio"),
      ]
    ),
    .target(
      name: "CeleriacWorker",
      dependencies: [
        "Celeriac", "CShims", "CSystemd",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    .target(
      name: "CeleriacCLI",
      dependencies: [
        "Celeriac", "CeleriacWorker",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "SystemPackage", package: "swift-system"),
      ]
    ),
    .executableTarget(
      name: "celeriac",
      dependencies: [
        "CeleriacCLI",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      // A release `celeriac` is linked at a fixed address (not position-independent). Every
      // worker process is an exec of it, and in a PIE each one relocates ~1.3 MB of pointers
      // (witness tables, metadata) into private copies at start: with -no-pie those pages
      // stay the file's, shared by the supervisor and every child. Measured (./Scripts/bench
      // --only pss): supervisor + 2 children 30.4 → 24.1 MiB. The cost: the executable's own
      // image is not randomised (its stacks, heap and shared libraries still are). See
      // ARCHITECTURE.md, "Memory".
      linkerSettings: [
        .unsafeFlags(["-Xlinker", "-no-pie"], .when(platforms: [.linux], configuration: .release))
      ]
    ),
    .executableTarget(
      name: "celeriac-bench",
      dependencies: [
        "Celeriac",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ]),
    // Shared by the test targets only (no product depends on it): seeded randomness,
    // hostile-message generation, `waitUntil` / `waitForValue`, and the `redis-server` fixture.
    .target(name: "CeleriacTestSupport", dependencies: ["CeleriacCore"]),
    .testTarget(
      name: "CeleriacCoreTests", dependencies: ["CeleriacCore", "Celeriac", "CeleriacTestSupport"]),
    .testTarget(
      name: "CeleriacSQLiteTests", dependencies: ["CeleriacSQLite", "CeleriacTestSupport"]),
    .testTarget(
      name: "CeleriacRedisTests",
      dependencies: [
        "CeleriacRedis", "CeleriacTestSupport",
        .product(name: "NIOCore", package: "swift-nio"),
      ]
    ),
    .testTarget(name: "CeleriacWorkerTests", dependencies: ["CeleriacWorker", "CeleriacSQLite"]),
    .testTarget(
      name: "CeleriacCLITests",
      dependencies: ["CeleriacCLI", "CeleriacWorker", "CeleriacTestSupport"]),
    .testTarget(
      name: "CeleriacIntegrationTests",
      dependencies: [
        "Celeriac", "CeleriacCore", "CeleriacRedis", "CeleriacTestSupport",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ]
    ),
  ]
)
