import PCIe
import Testing

/// PCIe Base §6.6.2 Function Level Reset and conventional reset.
@Suite("Resets")
struct ResetTests {
    /// Dirties config space, BARs and MSI-X state of the bench's function.
    func dirty(_ b: Bench) throws {
        Firmware(bus: b.bus).enumerateAndAssign()
        b.enable(memory: true, busMaster: true)
        b.write(0x3c, .byte, 0x0b)
        b.write(0x44, .word, 3)
        b.write(0x54, .dword, 0xfee0_0000)
        b.write(0x72, .word, 0x8000)
        b.write(0x170, .word, 4)
        b.function.updateConfig { $0.set(ConfigOffset(0x104), width: .dword, value: 0x1000) }
        let table = try #require(b.function.barAddress(4))
        b.bus.mmioWrite(BusAddress(table), width: .qword, value: 0xfee0_0000)
        b.bus.mmioWrite(BusAddress(table + 12), width: .dword, value: 0)
        let reg = try #require(b.function.barAddress(0))
        b.bus.mmioWrite(BusAddress(reg), width: .dword, value: 0x55)
    }

    @Test("Initiate FLR returns config space, BARs, MSI-X and the model to reset state")
    func flr() throws {
        let b = try Bench()
        let pristine = b.function.config.guestVisibleBytes
        try dirty(b)
        let msix = try #require(b.function.msix)
        #expect(msix.enabled && !msix.isMasked(0))
        #expect(b.function.config.guestVisibleBytes != pristine)
        let control = b.read(0xa8, .word)
        b.write(0xa8, .word, control | 0x8000)
        #expect(b.function.config.guestVisibleBytes == pristine)
        #expect(b.read(0xa8, .word) & 0x8000 == 0, "Initiate FLR reads zero")
        #expect(!msix.enabled)
        #expect(msix.isMasked(0))
        #expect(b.model.resets == [.functionLevel])
        #expect(b.model.storage.isEmpty)
        #expect(!b.function.dma.busMasterEnabled)
        #expect(b.function.decodedWindows.isEmpty)
        #expect(b.bus.windows.isEmpty)
        #expect(b.function.barAddress(0) == 0)
    }

    @Test("Initiate FLR is ignored by a function without FLR capability")
    func flrNotCapable() throws {
        var pcie = PCIExpressProperties()
        pcie.functionLevelReset = false
        let b = try Bench(
            FunctionConfiguration(
                identity: Fixtures.identity, bars: Fixtures.bars,
                capabilities: [.init(.pciExpress(pcie), at: 0x40)]))
        b.enable()
        b.write(0x48, .word, 0x8000 | 0x2810)
        #expect(b.function.memoryDecodeEnabled)
        #expect(b.model.resets.isEmpty)
        #expect(b.read(0x44) & (1 << 28) == 0)
    }

    @Test("Bus reset returns every function to reset state and removes all windows")
    func busReset() throws {
        let b = try Bench()
        let pristine = b.function.config.guestVisibleBytes
        try dirty(b)
        b.bus.reset()
        #expect(b.function.config.guestVisibleBytes == pristine)
        #expect(b.model.resets == [.bus])
        #expect(b.bus.windows.isEmpty)
        #expect(b.function.msix?.enabled == false)
    }
}

@Suite("Virtual clock")
struct VirtualClockTests {
    @Test("Timers fire in deadline order, ties in scheduling order, and time moves to each deadline")
    func ordering() {
        let clock = VirtualClock()
        var fired: [(String, UInt64)] = []
        clock.schedule(after: .microseconds(3)) { fired.append(("c", clock.now.nanoseconds)) }
        clock.schedule(after: .microseconds(1)) { fired.append(("a1", clock.now.nanoseconds)) }
        clock.schedule(after: .microseconds(2)) { fired.append(("b", clock.now.nanoseconds)) }
        clock.schedule(after: .microseconds(1)) { fired.append(("a2", clock.now.nanoseconds)) }
        #expect(clock.pendingTimers == 4)
        #expect(clock.nextDeadline == VirtualInstant(nanoseconds: 1000))
        clock.advance(by: .microseconds(2))
        #expect(fired.map(\.0) == ["a1", "a2", "b"])
        #expect(fired.map(\.1) == [1000, 1000, 2000])
        #expect(clock.now == VirtualInstant(nanoseconds: 2000))
        clock.advance(by: .seconds(1))
        #expect(fired.map(\.0) == ["a1", "a2", "b", "c"])
        #expect(clock.now.nanoseconds == 1_000_002_000)
    }

    @Test("Cancelled timers never fire; cancelling twice reports false")
    func cancel() {
        let clock = VirtualClock()
        var fired: [Int] = []
        let first = clock.schedule(after: .milliseconds(1)) { fired.append(1) }
        clock.schedule(after: .milliseconds(1)) { fired.append(2) }
        #expect(clock.cancel(first))
        #expect(!clock.cancel(first))
        clock.advance(by: .milliseconds(5))
        #expect(fired == [2])
        #expect(clock.pendingTimers == 0)
        #expect(!clock.runNextTimer())
    }

    @Test("A timer scheduled from a timer fires in the same advance if it falls due")
    func reentrant() {
        let clock = VirtualClock()
        var fired: [UInt64] = []
        clock.schedule(after: .microseconds(1)) {
            fired.append(clock.now.nanoseconds)
            clock.schedule(after: .microseconds(1)) { fired.append(clock.now.nanoseconds) }
            clock.schedule(after: .microseconds(10)) { fired.append(clock.now.nanoseconds) }
        }
        clock.advance(by: .microseconds(5))
        #expect(fired == [1000, 2000])
        #expect(clock.now.nanoseconds == 5000)
        #expect(clock.runNextTimer())
        #expect(fired == [1000, 2000, 11000])
    }

    @Test("Time never moves backwards and saturates instead of overflowing")
    func monotonic() {
        let clock = VirtualClock()
        clock.advance(by: .microseconds(10))
        clock.advance(to: VirtualInstant(nanoseconds: 5))
        #expect(clock.now.nanoseconds == 10_000)
        #expect(VirtualInstant(nanoseconds: .max - 1).advanced(by: .seconds(1)).nanoseconds == .max)
    }
}

@Suite("Interval map")
struct IntervalMapTests {
    @Test("Insert rejects any overlap and returns the clashing entry")
    func overlapRejection() {
        var map = IntervalMap<Int>()
        #expect(map.insert(0x1000, 0x1fff, 1) == nil)
        #expect(map.insert(0x3000, 0x3fff, 2) == nil)
        #expect(map.insert(0x1fff, 0x2000, 3)?.value == 1)
        #expect(map.insert(0x2000, 0x3000, 4)?.value == 2)
        #expect(map.insert(0x0, 0xffff, 5)?.value == 1)
        #expect(map.insert(0x1800, 0x1800, 6)?.value == 1)
        #expect(map.insert(0x2000, 0x2fff, 7) == nil, "exactly fills the gap")
        #expect(map.insert(0x10, 0x0f, 8) == nil && map.count == 3, "empty interval ignored")
        #expect(map.entries.map(\.value) == [1, 7, 2])
    }

    @Test("Lookup finds the containing interval at both ends and nothing in gaps")
    func lookup() {
        var map = IntervalMap<Int>()
        map.insert(0x3000, 0x3fff, 2)
        map.insert(0x1000, 0x1fff, 1)
        map.insert(UInt64.max - 0xff, UInt64.max, 9)
        #expect(map.lookup(0x0fff) == nil)
        #expect(map.lookup(0x1000)?.value == 1)
        #expect(map.lookup(0x1fff)?.value == 1)
        #expect(map.lookup(0x2000) == nil)
        #expect(map.lookup(0x3fff)?.value == 2)
        #expect(map.lookup(UInt64.max)?.value == 9)
        map.removeAll { $0 == 1 }
        #expect(map.lookup(0x1000) == nil)
        #expect(map.count == 2)
    }
}
