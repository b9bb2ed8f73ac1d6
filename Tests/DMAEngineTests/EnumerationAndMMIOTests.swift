import DMAEngine
import PCIe
import Testing

@Suite("DMA engine on the bus: enumeration and MMIO")
struct EnumerationAndMMIOTests {
    @Test("Firmware finds the engines, places BAR0 and BAR3 aligned and enables memory decode")
    func enumeration() throws {
        let t = try EngineBench(count: 2)
        #expect(t.report.functions == t.functions.map(\.bdf))
        #expect(t.report.unplaced.isEmpty)
        for f in t.functions {
            #expect(f.memoryDecodeEnabled)
            let windows = f.decodedWindows
            #expect(windows.map(\.bar.value) == [0, 3])
            for w in windows {
                #expect(w.size == 0x4000)
                #expect(w.start % w.size == 0)
            }
        }
        let all = t.bus.windows
        for i in all.indices {
            for j in all.indices where j > i { #expect(!(all[i].start...all[i].last).overlaps(all[j].start...all[j].last)) }
        }
        #expect(t.bus.configRead(t.functions[0].bdf, 0, width: .dword) == 0xdb01_1234)
        #expect(t.bus.configRead(t.functions[0].bdf, 8, width: .dword) == 0x0801_0001)
    }

    @Test("Scratch (BAR0 + 0x2C) is reached through bus MMIO with 1, 2 and 4 byte accesses")
    func scratchWidths() throws {
        let t = try EngineBench(count: 2)
        let base = try #require(t.functions[0].barAddress(0))
        let scratch = BusAddress(base + 0x2c)
        t.bus.mmioWrite(scratch, width: .dword, value: 0xdead_beef)
        #expect(t.bus.mmioRead(scratch, width: .dword) == 0xdead_beef)
        #expect(t.bus.mmioRead(BusAddress(base + 0x2d), width: .byte) == 0xbe)
        #expect(t.bus.mmioRead(BusAddress(base + 0x2e), width: .word) == 0xdead)
        t.bus.mmioWrite(BusAddress(base + 0x2f), width: .byte, value: 0x12)
        t.bus.mmioWrite(BusAddress(base + 0x2c), width: .word, value: 0x3456)
        #expect(t.bus.mmioRead(scratch, width: .dword) == 0x12ad_3456)
        let other = try #require(t.functions[1].barAddress(0))
        #expect(t.bus.mmioRead(BusAddress(other + 0x2c), width: .dword) == 0, "the other engine's scratch is separate")
        #expect(t.bus.mmioRead(BusAddress(base), width: .dword) == 0xdb01_0001, "ID register")
        #expect(t.bus.services.guestErrors.total == 0)
    }

    @Test("8-byte MMIO reads BytesCopied whole; read-only registers ignore writes")
    func qwordAndReadOnly() throws {
        let t = try EngineBench()
        let base = try #require(t.functions[0].barAddress(0))
        #expect(t.bus.mmioRead(BusAddress(base + 0x38), width: .qword) == 0)
        t.bus.mmioWrite(BusAddress(base + 0x38), width: .qword, value: ~0)
        #expect(t.bus.mmioRead(BusAddress(base + 0x38), width: .qword) == 0)
        t.bus.mmioWrite(BusAddress(base), width: .dword, value: 0)
        #expect(t.bus.mmioRead(BusAddress(base), width: .dword) == 0xdb01_0001)
        t.bus.mmioWrite(BusAddress(base + 0x24), width: .dword, value: 5)
        #expect(t.bus.mmioRead(BusAddress(base + 0x24), width: .dword) == 0, "CompletedCount is read-only")
    }

    @Test("Unmapped MMIO next to the engine reads all ones and is recorded")
    func unmapped() throws {
        let t = try EngineBench()
        let base = try #require(t.functions[0].barAddress(0))
        let past = BusAddress(base + 0x4000 + 0x10_0000)
        #expect(t.bus.mmioRead(past, width: .dword) == 0xffff_ffff)
        t.bus.mmioWrite(past, width: .dword, value: 1)
        #expect(t.bus.unmappedTotal == 2)
        #expect(t.bus.unmappedAccesses.map(\.address) == [past, past])
        #expect(t.bus.services.guestErrors.entries.allSatisfy { $0.kind == .unmappedMMIO && $0.function == nil })
    }

    @Test("Memory decode off: the engine's registers read all ones and writes are dropped")
    func decodeOff() throws {
        let t = try EngineBench()
        let f = t.functions[0]
        let base = try #require(f.barAddress(0))
        t.bus.configWrite(f.bdf, 4, width: .word, value: 0)
        #expect(t.bus.mmioRead(BusAddress(base + 0x2c), width: .dword) == 0xffff_ffff)
        t.bus.mmioWrite(BusAddress(base + 0x2c), width: .dword, value: 9)
        t.bus.configWrite(f.bdf, 4, width: .word, value: 2)
        #expect(t.bus.mmioRead(BusAddress(base + 0x2c), width: .dword) == 0)
    }

    @Test("An engine BAR moved onto the other engine's BAR is not decoded and recorded as barOverlap")
    func overlap() throws {
        let t = try EngineBench(count: 2)
        let a = t.functions[0]
        let b = t.functions[1]
        let aBase = try #require(a.barAddress(0))
        t.bus.configWrite(b.bdf, 0x10, width: .dword, value: UInt32(truncatingIfNeeded: aBase) | 0x4)
        t.bus.configWrite(b.bdf, 0x14, width: .dword, value: UInt32(truncatingIfNeeded: aBase >> 32))
        let overlaps = t.bus.services.guestErrors.entries.filter { $0.kind == .barOverlap }
        #expect(overlaps.count >= 1)
        #expect(overlaps.allSatisfy { $0.function == b.bdf })
        t.bus.mmioWrite(BusAddress(aBase + 0x2c), width: .dword, value: 0xa)
        #expect(t.bus.windows.filter { $0.start == aBase }.map(\.function) == [a.bdf])
        #expect(!t.bus.windows.contains { $0.function == b.bdf && $0.bar.value == 0 }, "B's BAR0 is not decoded")
        #expect(t.bus.windows.contains { $0.function == b.bdf && $0.bar.value == 3 }, "B's BAR3 still is")
        #expect(t.bus.access(a.bdf).read32(BARIndex(clamping: 0), 0x2c) == 0xa)
    }
}
