import Foundation
import Host
import Inspector

/// The 65-function host `pci-list --profile sriov-82599-63` lists, brought up and listed at -vv.
final class ListingFixture {
    /// The exported sysfs tree real lspci reads for the reference figure.
    let exportDirectory: URL
    static let lspci = "/usr/bin/lspci"
    @exclusivity(unchecked) var failures = 0

    init() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.lspci) else {
            throw BenchSetupError(description: "\(Self.lspci) is missing (install pciutils: scripts/setup.sh)")
        }
        exportDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "devbench-listing-\(ProcessInfo.processInfo.processIdentifier)")
        let host = try Self.bringUp()
        do {
            try SysfsExporter(root: exportDirectory).export(Self.listed(host))
        } catch {
            throw BenchSetupError(description: "exporting the 63-VF host: \(error)")
        }
    }

    deinit { try? FileManager.default.removeItem(at: exportDirectory) }

    static func bringUp() throws -> VirtualHost {
        let host = try VirtualHost(profile: .sriov82599Listing)
        host.bringUp()
        return host
    }

    static func listed(_ host: VirtualHost) -> [ListedFunction] {
        let drivers = host.kernelDriverNames
        return host.snapshots.map { ListedFunction(snapshot: $0, kernelDriver: drivers[$0.bdf]) }
    }

    /// Brings the host up and formats it as `pci-list -vv` does; returns the bytes listed.
    func listOnce() -> UInt64 {
        guard let host = try? Self.bringUp() else {
            failures += 1
            return 0
        }
        let functions = Self.listed(host)
        let text = LspciFormatter(options: LspciOptions(verbosity: 2)).format(functions)
        let bound = text.components(separatedBy: "\tKernel driver in use: ixgbevf\n").count - 1
        if functions.count != 65 || bound != 63 { failures += 1 }
        return UInt64(text.utf8.count)
    }

    /// Real `lspci -vv` over the exported tree; returns the bytes it printed.
    func lspciOnce() -> UInt64 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.lspci)
        process.arguments = ["-A", "linux-sysfs", "-O", "sysfs.path=\(exportDirectory.path)", "-vv"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return 0 }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return UInt64(data.count)
    }
}

extension BenchWorkload {
    /// `pci-list --profile sriov-82599-63 -vv`: bring up an 82599 with 63 VFs and its 64
    /// reference drivers, then list all 65 functions at -vv (issue 6: "listing a 64-VF host
    /// takes well under a second"). The reference is real lspci listing the same host from its
    /// sysfs export, so the ratio compares with the tool pci-list imitates, not a C loop.
    public static var pciListing: BenchWorkload {
        BenchWorkload(
            name: "pci-list-63vf", operation: "listing",
            summary:
                "bring up an 82599 PF with 63 VFs (ixgbe + 63 ixgbevf drivers over the mailbox) and format all 65 functions at -vv",
            speedOfLightSummary: "real lspci -vv (libpci, C) listing the same host from its sysfs export, one process per listing"
        ) {
            let fixture = try ListingFixture()
            return BenchInstance(
                emulated: { n in
                    var sum: UInt64 = 0
                    for _ in 0..<n { sum &+= fixture.listOnce() }
                    return sum
                },
                speedOfLight: { n in
                    var sum: UInt64 = 0
                    for _ in 0..<n { sum &+= fixture.lspciOnce() }
                    return sum
                },
                failures: { fixture.failures }, owner: fixture)
        }
    }
}
