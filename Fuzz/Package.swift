// swift-tools-version: 6.2
import PackageDescription

/// libFuzzer executables, one per FuzzKit target, kept out of the main package so sanitizer
/// flags never touch its tests. Build (see run.sh): swift build -c release --sanitize=fuzzer, and
/// with ASan: swift build -c release --sanitize=fuzzer --sanitize=address
///   -Xswiftc -sanitize=fuzzer,address
/// (swiftc keeps only the last -sanitize= SwiftPM passes; the combined flag must come last).
let targets = [
    "82599-pf", "82599-vf", "nvme", "config-space", "lspci-dump", "host-profile", "nvme-driver",
    "ixgbevf-driver", "ena", "ena-driver", "vfio-user", "sysfs",
]

let package = Package(
    name: "DeviceBenchFuzz",
    dependencies: [.package(name: "DeviceBench", path: "..")],
    targets: targets.map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: [.product(name: "FuzzKit", package: "DeviceBench"), "LeakSuppressions"],
            path: "Sources/fuzz-\(name)",
            swiftSettings: [.treatAllWarnings(as: .error)])
    } + [
        // LeakSanitizer's suppressions, linked into every executable (see the C file).
        .target(name: "LeakSuppressions", path: "Sources/LeakSuppressions")
    ]
)
