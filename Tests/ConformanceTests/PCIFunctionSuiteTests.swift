import Conformance
import DMAEngine
import PCIe
import Testing

/// A bus with one DMA engine PF (4 VFs enabled) placed by firmware.
func engineBus(vfs: Int = 4) throws -> (PCIBus, PCIFunction) {
    let bus = PCIBus()
    let pf = try DMAEngine.makePhysicalFunction(at: BDF(bus: 0, device: 3, function: 0), services: bus.services, totalVFs: 8)
    try bus.attach(pf)
    Firmware(bus: bus).enumerateAndAssign()
    if vfs > 0 { _ = try bus.access(pf.bdf).enableVirtualFunctions(vfs) }
    return (bus, pf)
}

@Suite("pci-function conformance suite")
struct PCIFunctionSuiteTests {
    @Test("a correct PF and its VFs pass every applicable check")
    func healthyPasses() throws {
        let (bus, _) = try engineBus()
        let results = ConformanceRunner.run(bus: bus)
        #expect(results.count == 5 * 3 + 5 * 6)
        for r in results { #expect(r.passed, "\(r.function) \(r.name): \(r.failures)") }
    }

    @Test("a read-only register made writable fails the read-only check, naming it")
    func brokenReadOnlyBitFails() throws {
        let (bus, pf) = try engineBus(vfs: 0)
        pf.updateConfig { $0.setMasks(ConfigOffset(PCIType0Header.VendorID.offset), width: .word, writable: 0xffff) }
        let results = try #require(PCIFunctionSuite(bus: bus, bdf: pf.bdf)).run()
        let ro = try #require(results.first { $0.name.contains("read-only") })
        #expect(!ro.passed)
        #expect(ro.failures.contains { $0.contains("PCIType0Header.VendorID") })
    }

    @Test("a W1C bit that does not clear fails the W1C check")
    func brokenW1CFails() throws {
        let (bus, pf) = try engineBus(vfs: 0)
        let status = ConfigOffset(PCIType0Header.Status.offset)
        pf.updateConfig { $0.setMasks(status, width: .word, writable: 0, writeOneToClear: 0) }
        let results = try #require(PCIFunctionSuite(bus: bus, bdf: pf.bdf)).run()
        let w1c = try #require(results.first { $0.name.contains("W1C") })
        #expect(w1c.failures.contains { $0.contains("PCIType0Header.Status: writing 1 left") })
    }

    @Test("a broken capability chain is reported, not followed forever")
    func loopedChainFails() throws {
        let (bus, pf) = try engineBus(vfs: 0)
        let msix = try #require(pf.capabilities.msix)
        // Point MSI-X's next pointer back at PM (0x40): the chain loops.
        pf.updateConfig { $0.set(msix.advanced(by: 1), width: .byte, value: 0x40) }
        let results = try #require(PCIFunctionSuite(bus: bus, bdf: pf.bdf)).run()
        let chain = try #require(results.first { $0.name.contains("chains") })
        #expect(chain.failures.contains { $0.contains("loops") })
    }

    @Test("JUnit XML escapes names and counts failures")
    func junitEscaping() {
        let bdf = BDF(bus: 0, device: 1, function: 0)
        let xml = JUnitReport.xml([
            CheckResult(suite: "s<1>", name: "a & \"b\"", function: bdf, failures: ["bad <thing>"]),
            CheckResult(suite: "s<1>", name: "ok", function: bdf, failures: []),
        ])
        #expect(xml.contains("name=\"s&lt;1&gt;\" tests=\"2\" failures=\"1\""))
        #expect(xml.contains("name=\"a &amp; &quot;b&quot;\""))
        #expect(xml.contains("<failure message=\"bad &lt;thing&gt;\">"))
    }
}
