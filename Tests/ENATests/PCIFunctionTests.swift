import ENA
import PCIe
import Testing

@Suite("ENA PCI function")
struct PCIFunctionTests {
    @Test("identity 1d0f:ec20, class 020000, revision 0 (readless reads on)")
    func identity() throws {
        let b = try ENABench()
        #expect(b.access.configRead(0, width: .dword) == 0xec20_1d0f)
        #expect(b.access.configRead(8, width: .dword) >> 8 == 0x020000)
        #expect(b.access.configRead(8, width: .byte) & 1 == 0)
    }

    @Test("BAR0 16 KiB registers, BAR2 1 MiB prefetchable LLQ, BAR4 MSI-X")
    func bars() throws {
        let b = try ENABench()
        let windows = b.function.decodedWindows
        #expect(windows.first { $0.bar == ENA.registerBAR }?.size == 0x4000)
        #expect(windows.first { $0.bar == ENA.llqBAR }?.size == 0x10_0000)
        #expect(windows.first { $0.bar == ENA.msixBAR }?.size == 0x1_0000)
        #expect(b.access.configRead(0x18, width: .dword) & 0xF == 0x8)
    }

    @Test("capabilities: PM at 0x40, PCI Express at 0x70, MSI-X at 0xb0 with one vector per queue pair plus admin")
    func capabilities() throws {
        let b = try ENABench(ENAConfiguration(queuePairs: 4, allowances: .unlimited))
        #expect(b.access.configRead(0x34, width: .byte) == 0x40)
        #expect(b.access.configRead(0x40, width: .byte) == 0x01)
        #expect(b.function.capabilities.pciExpress == ConfigOffset(0x70))
        #expect(b.function.capabilities.msix == ConfigOffset(0xb0))
        let control = b.access.configRead(0xb2, width: .word)
        #expect(control & 0x7FF == 4)
        #expect(b.access.configRead(0xb4, width: .dword) == 4)
        #expect(b.access.configRead(0xb8, width: .dword) == 0x2004)
    }

    @Test("invalid configurations are refused")
    func badConfiguration() {
        let bus = PCIBus()
        #expect(throws: ENASetupError.self) {
            try ENA.makeFunction(
                at: BDF(bus: 0, device: 5, function: 0), services: bus.services,
                configuration: ENAConfiguration(queuePairs: 33))
        }
        #expect(throws: ENASetupError.self) {
            try ENA.makeFunction(
                at: BDF(bus: 0, device: 5, function: 0), services: bus.services,
                configuration: ENAConfiguration(maxQueueDepth: 1000))
        }
    }
}
