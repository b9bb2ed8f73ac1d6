import Foundation
import Host
import Inspector
import PCIe
import Testing

@Suite("devbench export-sysfs against real lspci")
struct ExportSysfsTests {
    static let lspci = "/usr/bin/lspci"

    func realLspci(_ dir: URL, _ extra: [String]) throws -> String {
        let r = try CLI.run(
            ["-A", "linux-sysfs", "-O", "sysfs.path=\(dir.path)"] + extra, executable: URL(fileURLWithPath: Self.lspci))
        #expect(r.status == 0, "lspci: \(r.stderr)")
        return r.stdout
    }

    func exportedHost(_ name: String) throws -> (URL, VirtualHost) {
        let dir = try CLI.temporaryDirectory(name)
        let r = try CLI.run(["export-sysfs", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let host = try VirtualHost(profile: HostProfile.named("default"))
        host.bringUp()
        return (dir, host)
    }

    @Test("real lspci -v reads the export exactly as our formatter prints the bus, bound drivers included")
    func verboseListingMatches() throws {
        let (dir, host) = try exportedHost("verbose")
        let drivers = host.kernelDriverNames
        let functions = host.snapshots.map { ListedFunction(snapshot: $0, kernelDriver: drivers[$0.bdf]) }
        let ours = LspciFormatter(options: LspciOptions(verbosity: 1)).format(functions)
        let theirs = try realLspci(dir, ["-v"])
        #expect(theirs == ours)
        #expect(theirs.contains("Capabilities: [160] Single Root I/O Virtualization (SR-IOV)"))
        #expect(theirs.contains("Kernel driver in use: ixgbevf"))
        #expect(theirs.contains("Kernel driver in use: ena"))
    }

    @Test("real lspci -v of the default profile matches the golden fixture")
    func goldenListing() throws {
        let (dir, _) = try exportedHost("golden")
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fixtures/golden/default-profile.lspci-v.txt").standardized
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(try realLspci(dir, ["-v"]) == expected)
    }

    @Test("real lspci -xxxx dumps the same 4 KiB config space the platform built")
    func configBytesMatch() throws {
        let (dir, host) = try exportedHost("hex")
        let dump = try realLspci(dir, ["-xxxx"])
        var current: BDF?
        var bytes: [BDF: [UInt8]] = [:]
        for line in dump.split(separator: "\n") {
            if let head = line.split(separator: " ").first, let bdf = BDF(head) {
                current = bdf
                continue
            }
            guard let bdf = current, line.contains(":") else { continue }
            let parts = line.split(separator: ":", maxSplits: 1)
            let values = parts[1].split(separator: " ").compactMap { UInt8($0, radix: 16) }
            bytes[bdf, default: []] += values
        }
        for f in host.bus.functions {
            let ours = f.snapshot().config
            let theirs = try #require(bytes[f.bdf], "lspci did not list \(f.bdf)")
            #expect(theirs == ours, "config of \(f.bdf) differs")
        }
    }

    @Test("capability titles real lspci -vvv finds are the capabilities the platform placed")
    func capabilityOffsetsMatch() throws {
        let (dir, host) = try exportedHost("caps")
        let text = try realLspci(dir, ["-vvv", "-s", "00:03.0"])
        let pf = try #require(host.bus.function(at: BDF(bus: 0, device: 3, function: 0)))
        let c = pf.capabilities
        let expected: [(ConfigOffset?, String)] = [
            (c.powerManagement, "Power Management"), (c.msi, "MSI:"), (c.msix, "MSI-X:"), (c.pciExpress, "Express (v2) Endpoint"),
            (c.aer, "Advanced Error Reporting"), (c.deviceSerialNumber, "Device Serial Number"),
            (c.ari, "Alternative Routing-ID Interpretation (ARI)"), (c.sriov, "Single Root I/O Virtualization (SR-IOV)"),
        ]
        for (offset, title) in expected {
            let at = try #require(offset)
            let tag = at.value >= 0x100 ? "[\(String(at.value, radix: 16)) v" : "[\(String(at.value, radix: 16))] "
            #expect(
                text.split(separator: "\n").contains { $0.contains("Capabilities: \(tag)") && $0.contains(title) },
                "lspci -vvv has no '\(title)' at \(tag)")
        }
    }
}
