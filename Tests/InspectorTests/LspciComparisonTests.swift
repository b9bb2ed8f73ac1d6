import Foundation
import Inspector
import PCIe
import Testing

/// Our formatter against the real lspci 3.9 reading our sysfs export of the same snapshots.
@Suite(.enabled(if: RealLspci.isAvailable, "needs /usr/bin/lspci"))
struct LspciComparisonTests {
    let names = PCINameDatabase.shared

    func ours(_ snapshots: [FunctionSnapshot], verbosity: Int = 0, style: PCINameStyle = .names) -> String {
        LspciFormatter(names: names, options: LspciOptions(verbosity: verbosity, nameStyle: style)).format(snapshots)
    }

    @Test func oneLineListingMatchesLspci() throws {
        let real = try RealLspci.run(Fixtures.all)
        #expect(ours(Fixtures.all) == real)
        #expect(real.contains("00:05.0 Ethernet controller: Amazon.com, Inc. Elastic Network Adapter (ENA)\n"))
    }

    @Test(arguments: [PCINameStyle.numeric, .mixed])
    func numericListingMatchesLspci(style: PCINameStyle) throws {
        let real = try RealLspci.run(Fixtures.all, [style == .numeric ? "-n" : "-nn"])
        #expect(ours(Fixtures.all, style: style) == real)
    }

    @Test func verboseListingMatchesLspci() throws {
        let real = try RealLspci.run(Fixtures.all, ["-v"])
        let mine = ours(Fixtures.all, verbosity: 1)
        #expect(mine == real)
        #expect(real.contains("\tMemory at fe000000 (64-bit, non-prefetchable) [size=128K]\n"))
        #expect(real.contains("\tCapabilities: [140] Device Serial Number 00-1b-21-ff-ff-aa-bb-cc\n"))
    }

    /// `-vv` and `-vvv`: every line, register details included.
    @Test(arguments: [2, 3])
    func doubleVerboseMatchesLspci(verbosity: Int) throws {
        let real = try RealLspci.run(Fixtures.all, [verbosity == 2 ? "-vv" : "-vvv"])
        let mine = ours(Fixtures.all, verbosity: verbosity)
        #expect(titleLines(mine) == titleLines(real))
        #expect(mine == real)
        #expect(real.contains("\tCapabilities: [a0] Express (v2) Endpoint, MSI 00\n"))
        #expect(real.contains("\tCapabilities: [100 v2] Advanced Error Reporting\n"))
    }

    @Test func verboseBarAndCapabilityLinesOfPF() throws {
        let text = ours([Fixtures.intel82599PF()], verbosity: 1)
        let expected = [
            "\tMemory at fe000000 (64-bit, non-prefetchable) [size=128K]",
            "\tCapabilities: [40] Power Management version 3",
            "\tCapabilities: [50] MSI: Enable- Count=1/1 Maskable+ 64bit+",
            "\tCapabilities: [70] MSI-X: Enable+ Count=64 Masked-",
            "\tCapabilities: [a0] Express Endpoint, MSI 00",
            "\tCapabilities: [100] Advanced Error Reporting",
            "\tCapabilities: [140] Device Serial Number 00-1b-21-ff-ff-aa-bb-cc",
            "\tCapabilities: [150] Alternative Routing-ID Interpretation (ARI)",
            "\tCapabilities: [160] Single Root I/O Virtualization (SR-IOV)",
        ]
        #expect(titleLines(text) == expected)
    }
}

/// BAR, ROM and capability title lines of an lspci text.
func titleLines(_ text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter {
        $0.hasPrefix("\tCapabilities: ") || $0.hasPrefix("\tMemory at ") || $0.hasPrefix("\t[virtual] ")
            || $0.hasPrefix("\tI/O ports at ") || $0.hasPrefix("\tExpansion ROM at ") || $0.hasPrefix("\tRegion ")
    }
}
