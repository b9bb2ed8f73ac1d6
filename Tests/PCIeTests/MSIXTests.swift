import PCIe
import Testing

/// PCI 3.0 §6.8.2: MSI-X table and PBA in BAR4 of the fixture, reached through bus MMIO.
@Suite("MSI-X")
struct MSIXTests {
    struct Setup {
        let b: Bench
        let table: UInt64
        let pba: UInt64
        var msix: MSIXController { get throws { try #require(b.function.msix) } }

        init() throws {
            b = try Bench()
            Firmware(bus: b.bus).enumerateAndAssign()
            let base = try #require(b.function.barAddress(4))
            table = base
            pba = base + 0x2000
        }

        func program(_ vector: Int, address: UInt64, data: UInt32, masked: Bool) {
            let entry = table + UInt64(vector * 16)
            b.bus.mmioWrite(BusAddress(entry), width: .qword, value: address)
            b.bus.mmioWrite(BusAddress(entry + 8), width: .dword, value: UInt64(data))
            b.bus.mmioWrite(BusAddress(entry + 12), width: .dword, value: masked ? 1 : 0)
        }

        func setControl(enable: Bool, functionMask: Bool) {
            b.write(0x72, .word, (enable ? 0x8000 : 0) | (functionMask ? 0x4000 : 0))
        }
    }

    @Test("Table entries read back through MMIO; vectors start masked; address bits 1:0 read zero")
    func tableReadWrite() throws {
        let s = try Setup()
        for v in 0..<8 {
            #expect(
                s.b.bus.mmioRead(BusAddress(s.table + UInt64(v * 16) + 12), width: .dword) == 1, "vector \(v) masked at reset")
        }
        s.program(3, address: 0x1_fee0_300f, data: 0x4433, masked: false)
        #expect(s.b.bus.mmioRead(BusAddress(s.table + 0x30), width: .qword) == 0x1_fee0_300c)
        #expect(s.b.bus.mmioRead(BusAddress(s.table + 0x38), width: .dword) == 0x4433)
        #expect(s.b.bus.mmioRead(BusAddress(s.table + 0x3c), width: .dword) == 0)
        #expect(s.b.bus.mmioRead(BusAddress(s.table + 0x38), width: .qword) == 0x4433)
        #expect(try !s.msix.isMasked(3))
        #expect(s.b.model.reads + s.b.model.writes == 0, "the model never sees the table")
    }

    @Test("Byte and word accesses to the table are refused and recorded")
    func narrowAccess() throws {
        let s = try Setup()
        #expect(s.b.bus.mmioRead(BusAddress(s.table + 12), width: .byte) == 0xff)
        s.b.bus.mmioWrite(BusAddress(s.table + 12), width: .word, value: 0)
        #expect(try s.msix.isMasked(0))
        #expect(s.b.bus.services.guestErrors.counts[.badMMIOAccess] == 2)
    }

    @Test("A masked vector sets its PBA bit instead of delivering; unmasking delivers it")
    func maskAndPending() throws {
        let s = try Setup()
        let msix = try s.msix
        s.setControl(enable: true, functionMask: false)
        s.program(2, address: 0xfee0_0000, data: 0x42, masked: true)
        #expect(!msix.signal(2))
        #expect(msix.delivered[2] == 0)
        #expect(s.b.bus.mmioRead(BusAddress(s.pba), width: .qword) == 0b100)
        s.b.bus.mmioWrite(BusAddress(s.pba), width: .qword, value: 0)
        #expect(s.b.bus.mmioRead(BusAddress(s.pba), width: .dword) == 0b100, "PBA is read-only")
        s.b.bus.mmioWrite(BusAddress(s.table + 0x2c), width: .dword, value: 0)
        #expect(msix.delivered[2] == 1)
        #expect(s.b.bus.mmioRead(BusAddress(s.pba), width: .qword) == 0)
        #expect(msix.lastMessage?.vector == 2)
        #expect(msix.lastMessage?.address == 0xfee0_0000)
        #expect(msix.lastMessage?.data == 0x42)
        #expect(msix.lastMessage?.source == s.b.bdf)
        #expect(msix.consume(2))
        #expect(!msix.consume(2))
    }

    @Test("Function Mask holds every vector pending; clearing it delivers them")
    func functionMask() throws {
        let s = try Setup()
        let msix = try s.msix
        s.program(0, address: 0xfee0_0000, data: 1, masked: false)
        s.program(1, address: 0xfee0_0000, data: 2, masked: false)
        s.setControl(enable: true, functionMask: true)
        #expect(!msix.signal(0))
        #expect(!msix.signal(1))
        #expect(msix.isPending(0) && msix.isPending(1))
        #expect(msix.delivered == [0, 0, 0, 0, 0, 0, 0, 0])
        s.setControl(enable: true, functionMask: false)
        #expect(msix.delivered[0] == 1 && msix.delivered[1] == 1)
        #expect(!msix.isPending(0) && !msix.isPending(1))
    }

    @Test("With MSI-X disabled signals are dropped and counted, not left pending")
    func disabledDrops() throws {
        let s = try Setup()
        let msix = try s.msix
        s.program(0, address: 0xfee0_0000, data: 1, masked: false)
        #expect(!msix.signal(0))
        #expect(msix.droppedWhileDisabled == 1)
        #expect(!msix.isPending(0))
        s.setControl(enable: true, functionMask: false)
        #expect(msix.delivered[0] == 0)
        #expect(msix.signal(0))
        #expect(msix.delivered[0] == 1)
        #expect(!msix.signal(8), "out-of-range vector")
        #expect(!msix.signal(-1))
    }

    @Test("Delivery time comes from the virtual clock")
    func deliveryTime() throws {
        let s = try Setup()
        let msix = try s.msix
        s.setControl(enable: true, functionMask: false)
        s.program(5, address: 0xfee0_0000, data: 5, masked: false)
        s.b.bus.services.clock.advance(by: .microseconds(7))
        msix.signal(5)
        #expect(msix.lastMessage?.time == VirtualInstant(nanoseconds: 7000))
    }
}
