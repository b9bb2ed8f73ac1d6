import PCIe
import Testing

/// A bus with two identical functions at 00:03.0 and 00:04.0.
struct TwoFunctionBench {
    let bus = PCIBus()
    let a: PCIFunction
    let b: PCIFunction
    let modelA = ScratchModel()
    let modelB = ScratchModel()

    init() throws {
        a = try PCIFunction(Fixtures.fullConfiguration(), at: BDF(bus: 0, device: 3, function: 0), services: bus.services)
        b = try PCIFunction(Fixtures.fullConfiguration(), at: BDF(bus: 0, device: 4, function: 0), services: bus.services)
        a.model = modelA
        b.model = modelB
        try bus.attach(a)
        try bus.attach(b)
    }
}

@Suite("Firmware enumeration and MMIO routing")
struct BusAndFirmwareTests {
    @Test("Enumeration finds every function, places BARs naturally aligned without overlap and enables decode")
    func enumerateAndAssign() throws {
        let t = try TwoFunctionBench()
        let report = Firmware(bus: t.bus).enumerateAndAssign()
        #expect(report.functions == [t.a.bdf, t.b.bdf])
        #expect(report.unplaced.isEmpty)
        // Per function: 3 memory BARs (I/O is not placed) and 2 VF BARs.
        #expect(report.placements.count == 10)
        var ranges: [ClosedRange<UInt64>] = []
        for p in report.placements {
            let total = p.isVFBAR ? p.size * 8 : p.size
            #expect(p.base % p.size == 0, "\(p.function) BAR\(p.bar) at 0x\(String(p.base, radix: 16)) not aligned")
            ranges.append(p.base...(p.base + total - 1))
        }
        for i in ranges.indices {
            for j in ranges.indices where j > i { #expect(!ranges[i].overlaps(ranges[j])) }
        }
        for f in [t.a, t.b] {
            #expect(f.memoryDecodeEnabled)
            #expect(f.decodedWindows.count == 3)
            for w in f.decodedWindows {
                let placement = try #require(
                    report.placements.first { $0.function == f.bdf && !$0.isVFBAR && $0.bar == w.bar.value })
                #expect(w.start == placement.base)
                // 64-bit prefetchable BARs go above 4 GiB, the others below.
                #expect((w.start >= 1 << 32) == (w.bar.value == 2))
            }
        }
    }

    @Test("MMIO of every width reaches the model at the BAR offset")
    func mmioWidths() throws {
        let t = try TwoFunctionBench()
        Firmware(bus: t.bus).enumerateAndAssign()
        let base = try #require(t.a.barAddress(0))
        for (i, width) in AccessWidth.allCases.enumerated() {
            let offset = UInt64(0x100 + 8 * i)
            t.bus.mmioWrite(BusAddress(base + offset), width: width, value: 0x1122_3344_5566_7788)
            #expect(t.modelA.storage[offset] == 0x1122_3344_5566_7788 & width.allOnes)
            #expect(t.bus.mmioRead(BusAddress(base + offset), width: width) == 0x1122_3344_5566_7788 & width.allOnes)
        }
        #expect(t.modelB.writes == 0, "the other function saw nothing")
        #expect(t.bus.services.guestErrors.total == 0)
    }

    @Test("Unmapped MMIO reads all ones, drops writes and is recorded")
    func unmapped() throws {
        let t = try TwoFunctionBench()
        Firmware(bus: t.bus).enumerateAndAssign()
        let hole = BusAddress(0x1000)
        #expect(t.bus.mmioRead(hole, width: .dword) == 0xffff_ffff)
        #expect(t.bus.mmioRead(hole, width: .qword) == ~0)
        t.bus.mmioWrite(hole, width: .word, value: 0)
        #expect(t.bus.unmappedTotal == 3)
        let last = try #require(t.bus.unmappedAccesses.last)
        #expect(last.address == hole && last.width == .word && last.isWrite)
        #expect(t.bus.services.guestErrors.counts[.unmappedMMIO] == 3)
        #expect(t.modelA.reads + t.modelA.writes + t.modelB.reads + t.modelB.writes == 0)
    }

    @Test("Misaligned or window-straddling MMIO is refused and recorded against the function")
    func misaligned() throws {
        let t = try TwoFunctionBench()
        Firmware(bus: t.bus).enumerateAndAssign()
        let base = try #require(t.a.barAddress(0))
        #expect(t.bus.mmioRead(BusAddress(base + 2), width: .dword) == 0xffff_ffff)
        #expect(t.bus.mmioRead(BusAddress(base + 0xffc), width: .qword) == ~0, "misaligned and past the end")
        #expect(t.modelA.reads == 0)
        let errors = t.bus.services.guestErrors.entries
        #expect(errors.count == 2)
        #expect(errors.allSatisfy { $0.kind == .badMMIOAccess && $0.function == t.a.bdf })
    }

    @Test("Memory decode off: BARs read all ones")
    func decodeOff() throws {
        let t = try TwoFunctionBench()
        Firmware(bus: t.bus).enumerateAndAssign()
        let base = try #require(t.a.barAddress(0))
        t.bus.mmioWrite(BusAddress(base), width: .dword, value: 7)
        #expect(t.bus.mmioRead(BusAddress(base), width: .dword) == 7)
        t.bus.configWrite(t.a.bdf, 4, width: .word, value: 0)
        #expect(t.a.decodedWindows.isEmpty)
        #expect(t.bus.mmioRead(BusAddress(base), width: .dword) == 0xffff_ffff)
        t.bus.configWrite(t.a.bdf, 4, width: .word, value: 2)
        #expect(t.bus.mmioRead(BusAddress(base), width: .dword) == 7)
    }

    @Test("A BAR programmed over another function's BAR is not decoded and is recorded as barOverlap")
    func overlap() throws {
        let t = try TwoFunctionBench()
        Firmware(bus: t.bus).enumerateAndAssign()
        let aBase = try #require(t.a.barAddress(0))
        let bOld = try #require(t.b.barAddress(0))
        t.bus.configWrite(t.b.bdf, 0x10, width: .dword, value: UInt32(aBase))
        let overlaps = t.bus.services.guestErrors.entries.filter { $0.kind == .barOverlap }
        #expect(overlaps.count == 1)
        #expect(overlaps.first?.function == t.b.bdf)
        t.bus.mmioWrite(BusAddress(aBase), width: .dword, value: 0xa)
        #expect(t.modelA.storage[0] == 0xa)
        #expect(t.modelB.writes == 0)
        #expect(!t.bus.windows.contains { $0.function == t.b.bdf && $0.bar.value == 0 })
        #expect(t.bus.mmioRead(BusAddress(bOld), width: .dword) == 0xffff_ffff, "the old window is gone")
        // Moving it back decodes it again.
        t.bus.configWrite(t.b.bdf, 0x10, width: .dword, value: UInt32(bOld))
        t.bus.mmioWrite(BusAddress(bOld), width: .dword, value: 0xb)
        #expect(t.modelB.storage[0] == 0xb)
    }

    @Test("A remembered route follows the window map: decode off, BAR moved away, another function moved in")
    func routeMemoFollowsTheMap() throws {
        let t = try TwoFunctionBench()
        Firmware(bus: t.bus).enumerateAndAssign()
        let aBase = try #require(t.a.barAddress(0))
        let bBase = try #require(t.b.barAddress(0))
        var memo = PCIBus.MMIORouteMemo()
        t.bus.mmioWrite(BusAddress(aBase + 8), width: .dword, value: 1, memo: &memo)
        #expect(t.modelA.storage[8] == 1)
        // Decode off: the same memo must not reach the function any more.
        t.bus.configWrite(t.a.bdf, 4, width: .word, value: 0)
        t.bus.mmioWrite(BusAddress(aBase + 8), width: .dword, value: 2, memo: &memo)
        #expect(t.modelA.storage[8] == 1)
        #expect(t.bus.mmioRead(BusAddress(aBase + 8), width: .dword, memo: &memo) == 0xffff_ffff)
        t.bus.configWrite(t.a.bdf, 4, width: .word, value: 2)
        #expect(t.bus.mmioRead(BusAddress(aBase + 8), width: .dword, memo: &memo) == 1)
        // A's BAR moves to a hole and B's moves into A's old place: the memo now reaches B.
        t.bus.configWrite(t.a.bdf, 0x10, width: .dword, value: 0xE000_0000)
        t.bus.configWrite(t.b.bdf, 0x10, width: .dword, value: UInt32(aBase))
        t.bus.mmioWrite(BusAddress(aBase + 8), width: .dword, value: 3, memo: &memo)
        #expect(t.modelB.storage[8] == 3)
        #expect(t.modelA.storage[8] == 1)
        let burst: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        burst.withUnsafeBytes { t.bus.mmioWriteCombined(BusAddress(aBase + 0x20), bytes: $0, memo: &memo) }
        #expect(t.modelB.storage[0x20] == 0x0807_0605_0403_0201, "a write-combined burst follows the memo too")
        #expect(t.modelA.storage[0x20] == nil)
        // One memo serves any address: outside its window it looks the map up again.
        t.bus.mmioWrite(BusAddress(0xE000_0000 + 8), width: .dword, value: 4, memo: &memo)
        #expect(t.modelA.storage[8] == 4)
        #expect(t.bus.mmioRead(BusAddress(bBase), width: .dword, memo: &memo) == 0xffff_ffff, "B's old window is gone")
        // A misaligned access inside the remembered window is still refused.
        #expect(t.bus.mmioRead(BusAddress(0xE000_0000 + 2), width: .dword, memo: &memo) == 0xffff_ffff)
        #expect(t.bus.services.guestErrors.counts[.badMMIOAccess] == 1)
    }

    @Test("BusDeviceAccess reaches its function after its BAR moves and not while decode is off")
    func deviceAccessFollowsBARs() throws {
        let t = try TwoFunctionBench()
        Firmware(bus: t.bus).enumerateAndAssign()
        let access = BusDeviceAccess(bus: t.bus, bdf: t.a.bdf)
        access.write32(BARIndex(clamping: 0), 0x10, 5)
        #expect(t.modelA.storage[0x10] == 5)
        access.configWrite(4, width: .word, value: 0)
        access.write32(BARIndex(clamping: 0), 0x10, 6)
        #expect(t.modelA.storage[0x10] == 5)
        #expect(access.read32(BARIndex(clamping: 0), 0x10) == 0xffff_ffff)
        access.configWrite(4, width: .word, value: 2)
        access.configWrite(0x10, width: .dword, value: 0xE000_0000)
        access.write32(BARIndex(clamping: 0), 0x10, 7)
        #expect(t.modelA.storage[0x10] == 7)
        #expect(t.a.barAddress(0) == 0xE000_0000)
        #expect(t.modelB.writes == 0)
    }

    @Test("Re-enumeration sizes BARs with decode off: the all-ones probe maps nothing over another BAR")
    func sizingWithDecodeOff() throws {
        let t = try TwoFunctionBench()
        Firmware(bus: t.bus).enumerateAndAssign()
        // B's 4 KiB BAR0 at the very top of the 32-bit space, where A's BAR0 reads all ones while
        // it is sized. With decode on during the probe, A's window would land on B's.
        t.bus.configWrite(t.b.bdf, 0x10, width: .dword, value: 0xFFFF_F000)
        #expect(t.b.barAddress(0) == 0xFFFF_F000)
        let errors = t.bus.services.guestErrors.total
        let report = Firmware(bus: t.bus).enumerateAndAssign()
        #expect(t.bus.services.guestErrors.counts[.barOverlap] == nil)
        #expect(t.bus.services.guestErrors.total == errors)
        #expect(report.unplaced.isEmpty)
        for f in [t.a, t.b] {
            #expect(f.memoryDecodeEnabled, "decode is back on afterwards")
            #expect(f.decodedWindows.count == 3)
        }
    }

    @Test("Re-enumeration with VFs on puts VF MSE back and leaves every window where it was")
    func reEnumerationWithVirtualFunctions() throws {
        let b = try Bench()
        b.function.model = ReentrantPFModel()
        Firmware(bus: b.bus).enumerateAndAssign()
        b.write(0x170, .word, 2)  // NumVFs
        b.write(0x168, .word, 0x9)  // VF Enable | VF MSE
        let windows = b.bus.windows.map { "\($0.function) \($0.bar) \($0.start) \($0.last)" }
        #expect(b.bus.windows.filter { $0.function != b.bdf }.count == 4, "two VFs, two BARs each")
        Firmware(bus: b.bus).enumerateAndAssign()
        #expect(b.bus.windows.map { "\($0.function) \($0.bar) \($0.start) \($0.last)" } == windows)
        #expect(b.function.vfMemoryDecodeEnabled)
        #expect(b.bus.services.guestErrors.total == 0)
        // The VFs' windows follow VF MSE and the VF BARs, and nothing of the PF's header.
        let vfWindows = { b.bus.windows.filter { $0.function != b.bdf } }
        b.write(0x168, .word, 0x1)  // VF Enable, VF MSE off
        #expect(vfWindows().isEmpty)
        b.write(0x168, .word, 0x9)
        #expect(vfWindows().count == 4)
        let vfStarts = vfWindows().map { $0.start }
        b.write(0x10, .dword, 0xE000_0000)  // the PF's own BAR0 moves; the VFs' windows do not
        #expect(b.function.barAddress(0) == 0xE000_0000)
        #expect(vfWindows().map { $0.start } == vfStarts)
        // VF BAR0 (64-bit, 16 KiB per VF) moves: both VFs' windows follow.
        b.write(0x188, .dword, 0x90)
        b.write(0x184, .dword, 0)
        let starts = Set(vfWindows().filter { $0.bar.value == 0 }.map { $0.start })
        #expect(starts == [0x90_0000_0000, 0x90_0000_4000])
    }

    @Test("Scan finds functions 1-7 only behind a multi-function function 0")
    func multiFunctionScan() throws {
        let bus = PCIBus()
        var single = FunctionConfiguration(identity: Fixtures.identity, bars: [], capabilities: [])
        try bus.attach(PCIFunction(single, at: BDF(bus: 0, device: 1, function: 0), services: bus.services))
        try bus.attach(PCIFunction(single, at: BDF(bus: 0, device: 1, function: 2), services: bus.services))
        single.multiFunction = true
        try bus.attach(PCIFunction(single, at: BDF(bus: 0, device: 2, function: 0), services: bus.services))
        try bus.attach(PCIFunction(single, at: BDF(bus: 0, device: 2, function: 5), services: bus.services))
        try bus.attach(PCIFunction(single, at: BDF(bus: 0, device: 9, function: 1), services: bus.services))
        #expect(
            Firmware(bus: bus).scan() == [
                BDF(bus: 0, device: 1, function: 0), BDF(bus: 0, device: 2, function: 0),
                BDF(bus: 0, device: 2, function: 5),
            ])
        #expect(throws: PCIBus.Error.occupied(BDF(bus: 0, device: 1, function: 0))) {
            try bus.attach(PCIFunction(single, at: BDF(bus: 0, device: 1, function: 0), services: bus.services))
        }
    }

    @Test("BARs that do not fit the window are reported unplaced")
    func windowTooSmall() throws {
        let t = try TwoFunctionBench()
        let report = Firmware(bus: t.bus).enumerateAndAssign(
            ResourceWindows(low: 0xe000_0000...0xe001_ffff, high: 0x80_0000_0000...0x80_0000_ffff))
        #expect(!report.unplaced.isEmpty)
        for p in report.placements {
            let total = p.isVFBAR ? p.size * 8 : p.size
            let inLow = p.base >= 0xe000_0000 && p.base + total - 1 <= 0xe001_ffff
            let inHigh = p.base >= 0x80_0000_0000 && p.base + total - 1 <= 0x80_0000_ffff
            #expect(inLow || inHigh)
        }
    }
}
