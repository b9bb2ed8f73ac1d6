import PCIe
import Testing

/// PCI 3.0 §6.8.1 and §6.8.3: MSI of the fixture (4 vectors requested, 64-bit, per-vector
/// masking, at 0x50) next to its MSI-X. Devices signal through MSI-X; with MSI-X disabled and
/// MSI enabled the message leaves through MSI.
@Suite("MSI")
struct MSITests {
    private func setUp() throws -> (Bench, MSIXController, MSIController) {
        let b = try Bench()
        return (b, try #require(b.function.msix), try #require(b.function.msi))
    }

    private func program(_ b: Bench, enable: Bool, allocateLog2: UInt32, mask: UInt32 = 0) {
        b.write(0x54, .dword, 0xfee0_1000)
        b.write(0x58, .dword, 0x1)
        b.write(0x5c, .word, 0x4420)
        b.write(0x60, .dword, mask)
        b.write(0x52, .word, (enable ? 1 : 0) | allocateLog2 << 4)
    }

    @Test("with MSI-X disabled and MSI enabled, a signalled vector leaves as an MSI message with its number in the data")
    func deliveredThroughMSI() throws {
        let (b, msix, msi) = try setUp()
        #expect(msi.vectorCount == 4)
        program(b, enable: true, allocateLog2: 2)
        #expect(msi.enabled && msi.allocatedVectors == 4)
        #expect(msix.signal(2))
        #expect(msi.delivered[2] == 1)
        let message = try #require(msi.lastMessage)
        #expect(message.address == 0x1_fee0_1000)
        #expect(message.data == 0x4422)
        #expect(msi.consume(2) && !msi.consume(2))
        #expect(msix.delivered[2] == 0, "MSI-X did not send it")
    }

    @Test("vectors beyond the allocation fold onto the allocated ones; MSI disabled drops")
    func foldingAndDisabled() throws {
        let (b, msix, msi) = try setUp()
        #expect(!msix.signal(0))
        #expect(msi.delivered == [0, 0, 0, 0])
        program(b, enable: true, allocateLog2: 0)
        #expect(msix.signal(3))
        #expect(msi.delivered[0] == 1, "one vector allocated: everything is vector 0")
        #expect(msi.lastMessage?.data == 0x4420)
    }

    @Test("a masked vector sets its pending bit (visible in config space) and is sent when unmasked")
    func maskAndPending() throws {
        let (b, msix, msi) = try setUp()
        program(b, enable: true, allocateLog2: 2, mask: 0b0010)
        #expect(!msix.signal(1))
        #expect(msi.pendingBits == 0b0010)
        #expect(b.read(0x64) == 0b0010)
        b.write(0x60, .dword, 0)
        #expect(msi.delivered[1] == 1)
        #expect(b.read(0x64) == 0)
    }

    @Test("MSI-X enabled wins over MSI; reset disables MSI")
    func msixWinsAndReset() throws {
        let (b, msix, msi) = try setUp()
        program(b, enable: true, allocateLog2: 2)
        b.write(0x72, .word, 0x8000)
        #expect(!msix.signal(0), "MSI-X vectors start masked")
        #expect(msix.isPending(0) && msi.delivered[0] == 0)
        b.bus.functionLevelReset(b.function)
        #expect(!msi.enabled && msi.allocatedVectors == 1)
    }
}
