import Foundation
import Host
import Inspector
import Testing

@testable import pci_list

/// pci-list against the real lspci 3.9, byte for byte: every built-in profile (exported as a
/// sysfs tree with driver links), the machine's own /sys, and the hex dumps in Fixtures.
@Suite(.enabled(if: Oracle.hasLspci, "needs /usr/bin/lspci (scripts/setup.sh installs pciutils)"))
struct LspciOracleTests {
    static let profiles = BuiltinProfiles.names + [ListingProfiles.sriov82599.name]

    @Test("profile listing equals lspci reading its sysfs export", arguments: profiles)
    func profileMatchesLspci(profile: String) throws {
        let loaded = try BusSource.profile(profile).load()
        #expect(loaded.input.problems.isEmpty)
        let dir = try Oracle.temporaryDirectory(profile)
        defer { try? FileManager.default.removeItem(at: dir) }
        try SysfsExporter(root: dir).export(loaded.input.functions)
        let source = ["-A", "linux-sysfs", "-O", "sysfs.path=\(dir.path)"]
        for options in Oracle.optionSets + [["-s", "00:05.0", "-vv"], ["-d", "8086:10ed", "-t"]] {
            let theirs = try Oracle.lspciText(source + options)
            let ours = try Oracle.ours(options, loaded.input.functions)
            Oracle.expectSame(ours, theirs, "\(profile) \(options.joined(separator: " "))")
        }
    }

    @Test("the default profile shows the 82599 PF and VFs, both NVMe controllers, BARs, capabilities, drivers")
    func defaultProfileContents() throws {
        let loaded = try BusSource.profile("default").load()
        let text = try Oracle.oursText(["-vv"], loaded.input.functions)
        for expected in [
            "00:05.0 Ethernet controller: Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection (rev 01)",
            "00:15.0 Ethernet controller: Intel Corporation 82599 Ethernet Controller Virtual Function (rev 01)",
            "00:1e.0 Non-Volatile memory controller: Amazon.com, Inc. NVMe EBS Controller (prog-if 02 [NVM Express])",
            "00:1f.0 Non-Volatile memory controller: Amazon.com, Inc. NVMe SSD Controller (prog-if 02 [NVM Express])",
            "00:06.0 Ethernet controller: Amazon.com, Inc. Elastic Network Adapter (ENA)",
            "\tRegion 0: Memory at e0100000 (64-bit, non-prefetchable) [size=128K]",
            "\t\tInitial VFs: 64, Total VFs: 64, Number of VFs: 3, Function Dependency Link: 00",
            "\tKernel driver in use: ixgbe", "\tKernel driver in use: ixgbevf", "\tKernel driver in use: nvme",
        ] {
            #expect(text.contains(expected + "\n"), "missing: \(expected)")
        }
    }

    /// The machine's own PCI functions, through the same sysfs reader. The comparison runs
    /// whatever is there (an empty bus compares two empty texts).
    @Test("the real /sys/bus/pci equals lspci")
    func realSysfsMatchesLspci() throws {
        let input = SysfsImporter(root: URL(fileURLWithPath: "/sys/bus/pci")).read()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/bus/pci/devices")) ?? []
        #expect(input.functions.count == entries.count)
        for options in Oracle.optionSets + [["-s", "0.0"], ["-d", "::0200", "-vv"]] {
            let theirs = try Oracle.lspciText(["-A", "linux-sysfs"] + options)
            let ours = try Oracle.ours(options, input.functions)
            Oracle.expectSame(ours, theirs, "/sys \(options.joined(separator: " "))")
        }
    }

    @Test("hex dumps equal lspci -F", arguments: Oracle.dumps.map(\.lastPathComponent))
    func dumpMatchesLspci(name: String) throws {
        let url = Oracle.fixtures.appendingPathComponent("lspci-dumps").appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        let input = LspciDumpReader(fileName: name).read(text)
        #expect(input.problems.isEmpty, "\(input.problems)")
        #expect(!input.functions.isEmpty)
        for options in Oracle.optionSets {
            let theirs = try Oracle.lspciText(["-F", url.path] + options)
            let ours = try Oracle.ours(options, input.functions)
            Oracle.expectSame(ours, theirs, "\(name) \(options.joined(separator: " "))")
        }
    }

    @Test("the dumps hold the 82599, ENA and NVMe functions and lspci's broken-chain markers")
    func dumpContents() throws {
        var all = ""
        for url in Oracle.dumps {
            let input = LspciDumpReader(fileName: url.path).read(try String(contentsOf: url, encoding: .utf8))
            all += try Oracle.oursText(["-vv"], input.functions)
        }
        for expected in [
            "Elastic Network Adapter (ENA)", "NVMe EBS Controller", "82599ES 10-Gigabit SFI/SFP+ Network Connection",
            "<chain looped>", "<chain broken>", "<access denied>", "Single Root I/O Virtualization (SR-IOV)",
        ] {
            #expect(all.contains(expected), "missing: \(expected)")
        }
    }
}
