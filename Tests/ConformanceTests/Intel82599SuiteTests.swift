import Conformance
import Intel82599
import Network
import PCIe
import Testing

/// Expects every result passed (and, by default, applied).
func expectHealthy(_ results: [CheckResult], applicable: Bool = true) {
    for r in results {
        if applicable { #expect(r.applicable, "\(r.function) \(r.suite): \(r.name) not applicable") }
        #expect(r.passed, "\(r.function) \(r.suite): \(r.name): \(r.failures)")
    }
}

@Suite("82599 conformance suites on a correct port")
struct Intel82599SuiteTests {
    @Test("every check applies and passes on a fresh port with SR-IOV, cable and link partner")
    func healthyPortPasses() throws {
        let nic = try NICBus()
        let results = try nic.run(Intel82599Conformance.Suite.allCases)
        expectHealthy(results)
        for suite in Intel82599Conformance.Suite.allCases {
            #expect(results.contains { $0.suite == suite.rawValue }, "no result from \(suite.rawValue)")
        }
        // 6 PF register, 5 per VF x 3, 3 reset, 5 queue, 3 RSS, 4 mailbox, 6 switch, 2 anti-spoof, 1 protocol.
        #expect(results.count == 6 + 15 + 3 + 5 + 3 + 4 + 6 + 2 + 1)
    }

    @Test("without SR-IOV the VF checks do not apply; without a cable the wire checks do not")
    func missingFeaturesAreNotApplicable() throws {
        let noVFs = try NICBus(totalVFs: 0)
        let results = try noVFs.run(Intel82599Conformance.Suite.allCases)
        let vfSuites: Set = ["intel82599-vf-registers", "intel82599-mailbox", "intel82599-switch", "intel82599-anti-spoof"]
        for r in results where vfSuites.contains(r.suite) { #expect(!r.applicable, "\(r.name)") }
        expectHealthy(results, applicable: false)
        let noCable = try NICBus(wire: false)
        let cableless = try noCable.run([.queues, .rss])
        #expect(cableless.filter { !$0.applicable }.count == 4, "RX split and the 3 RSS checks need frames from the wire")
        expectHealthy(cableless, applicable: false)
    }

    @Test("the suites put the host's VFs back in 64-pool VT mode; the runner then checks them as PCI functions")
    func restoresTheHostsVFs() throws {
        let nic = try NICBus()
        let access = nic.bus.access(nic.bdf)
        let before = try access.enableVirtualFunctions(3)
        _ = try nic.run([.vfRegisters])
        #expect(nic.function.virtualFunctions.map(\.bdf) == before, "the host's VFs were not put back")
        let bar = Intel82599.registerBAR
        #expect(access.read32(bar, UInt64(Intel82599PFRegisters.GCR_EXT.offset)) & 0x3 == 0x3, "not left in 64-pool mode")
        #expect(access.read32(bar, UInt64(Intel82599PFRegisters.PFVTCTL.offset)) & 0x1 == 0x1, "VT not left enabled")
        // VF 2's FLR in the PCI function suite needs the pool layout (the model traps without it).
        let results = ConformanceRunner.run(bus: nic.bus)
        #expect(results.contains { $0.suite == "intel82599-switch" })
        let pciOnVFs = results.filter { $0.suite == "pci-function" && before.contains($0.function) }
        #expect(pciOnVFs.count == 3 * 6, "the PCI function suite did not run on the three restored VFs")
        expectHealthy(results.filter { $0.suite != "pci-function" })
        let pci = results.filter { $0.suite == "pci-function" }
        #expect(pci.filter { !$0.passed }.isEmpty, "\(pci.failureText)")
    }
}
