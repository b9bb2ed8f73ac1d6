// swift-tools-version: 6.2
import PackageDescription

/// Every first-party target builds in Swift 6 mode with warnings as errors.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "DeviceBench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "devbench", targets: ["devbench"]),
        .executable(name: "devspec-gen", targets: ["devspec-gen"]),
        .executable(name: "pci-list", targets: ["pci-list"]),
        .library(name: "PCIe", targets: ["PCIe"]),
        .library(name: "RegisterModel", targets: ["RegisterModel"]),
        .library(name: "FuzzKit", targets: ["FuzzKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "RegisterModel", swiftSettings: strict),
        .target(
            name: "RegisterSpec",
            dependencies: ["RegisterModel", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .executableTarget(
            name: "devspec-gen",
            dependencies: ["RegisterSpec", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),
        .target(name: "PCIe", dependencies: ["RegisterModel"], swiftSettings: strict),
        .target(
            name: "CLibPCI",
            linkerSettings: [.linkedLibrary("pci")]),
        .target(name: "Inspector", dependencies: ["PCIe", "CLibPCI"], swiftSettings: strict),
        .target(name: "TestSupport", swiftSettings: strict),
        .testTarget(
            name: "InspectorTests", dependencies: ["Inspector", "Intel82599", "PCIe", "TestSupport"], swiftSettings: strict),
        .target(name: "DMAEngine", dependencies: ["PCIe", "RegisterModel"], swiftSettings: strict),
        .target(name: "Network", swiftSettings: strict),
        .target(name: "CMemoryHints"),
        .target(
            name: "Intel82599", dependencies: ["PCIe", "RegisterModel", "Network", "CMemoryHints"], swiftSettings: strict),
        .target(
            name: "Drivers",
            dependencies: ["PCIe", "RegisterModel", "DMAEngine", "Intel82599", "Network", "NVMe", "ENA", "CMemoryHints"],
            swiftSettings: strict),
        .target(
            name: "Conformance",
            dependencies: ["PCIe", "RegisterModel", "Drivers", "DMAEngine", "Intel82599", "Network", "NVMe", "ENA"],
            swiftSettings: strict),
        .target(name: "CSpeedOfLight"),
        .target(name: "CXTS", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "BlockCrypto", dependencies: ["CXTS"], swiftSettings: strict),
        .target(name: "NVMe", dependencies: ["PCIe", "RegisterModel", "BlockCrypto"], swiftSettings: strict),
        .target(name: "ENA", dependencies: ["PCIe", "RegisterModel", "Network"], swiftSettings: strict),
        .target(name: "CVFIOUser"),
        .target(name: "VFIOUser", dependencies: ["PCIe", "CVFIOUser"], swiftSettings: strict),
        .testTarget(
            name: "VFIOUserTests", dependencies: ["VFIOUser", "CVFIOUser", "PCIe", "Host", "Drivers", "NVMe"],
            swiftSettings: strict),
        .target(
            name: "Bench",
            dependencies: [
                "PCIe", "Drivers", "DMAEngine", "Intel82599", "NVMe", "BlockCrypto", "Network", "CSpeedOfLight", "ENA",
                "Host", "Inspector",
            ],
            swiftSettings: strict),
        .target(
            name: "Host",
            dependencies: [
                "PCIe", "DMAEngine", "Intel82599", "NVMe", "ENA", "Network", "Drivers", "Inspector",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        .target(
            name: "FuzzKit",
            dependencies: [
                "PCIe", "RegisterModel", "Intel82599", "NVMe", "ENA", "Network", "Drivers", "Conformance", "Inspector", "Host",
                "VFIOUser", "CVFIOUser", "CMemoryHints",
            ],
            swiftSettings: strict),
        .testTarget(name: "FuzzKitTests", dependencies: ["FuzzKit", "PCIe"], swiftSettings: strict),
        .executableTarget(
            name: "devbench",
            dependencies: [
                "PCIe", "Host", "Inspector", "Conformance", "Bench", "FuzzKit", "VFIOUser", "NVMe", "Network",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "DMAEngineTests", dependencies: ["DMAEngine", "PCIe", "RegisterModel", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "DriversTests",
            dependencies: [
                "Drivers", "DMAEngine", "Intel82599", "Network", "NVMe", "ENA", "PCIe", "RegisterModel", "TestSupport",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "ConformanceTests", dependencies: ["Conformance", "PCIe", "DMAEngine", "NVMe", "ENA", "Network"],
            swiftSettings: strict),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "Drivers", "PCIe"], swiftSettings: strict),
        .testTarget(name: "HostTests", dependencies: ["Host", "PCIe", "Drivers", "ENA", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "DevbenchTests", dependencies: ["devbench", "Host", "Inspector", "PCIe"], swiftSettings: strict),
        .executableTarget(
            name: "pci-list",
            dependencies: [
                "Inspector", "Host", "PCIe", "RegisterModel", "DMAEngine", "Intel82599", "NVMe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PCIListTests", dependencies: ["pci-list", "Inspector", "Host", "PCIe", "TestSupport"],
            swiftSettings: strict),
        .testTarget(name: "RegisterSpecTests", dependencies: ["RegisterSpec", "RegisterModel"], swiftSettings: strict),
        .testTarget(name: "PCIeTests", dependencies: ["PCIe", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "BlockCryptoTests", dependencies: ["BlockCrypto", "CXTS", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "NVMeTests", dependencies: ["NVMe", "BlockCrypto", "PCIe", "RegisterModel", "TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "ENATests", dependencies: ["ENA", "Network", "PCIe", "RegisterModel", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "Intel82599Tests",
            dependencies: ["Intel82599", "CMemoryHints", "Network", "PCIe", "RegisterModel", "TestSupport"], swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
