import DMAEngine
import PCIe
import TestSupport
import Testing

@Suite("DMA engine resets and garbage input")
struct ResetAndGarbageTests {
    @Test("FLR: config space, BARs, MSI-X and engine registers return to reset")
    func flr() throws {
        let t = try EngineBench()
        let f = t.functions[0]
        let driver = try EngineDriver(t.bus.access(f.bdf), interrupts: true)
        driver.enableMSIX()
        driver.write(R.Scratch.offset, 0x5555)
        let buffer = try driver.access.allocateDMA(0x100)
        driver.copy(from: buffer.deviceAddress, to: buffer.deviceAddress(at: 0x80), length: 0x10, flags: D.flagRequestInterrupt)
        #expect(driver.read(R.CompletedCount.offset) == 1)
        let msix = try #require(f.msix)
        #expect(msix.enabled && !msix.isMasked(0))

        let devctl = driver.access.configRead(0xa8, width: .word)
        driver.access.configWrite(0xa8, width: .word, value: devctl | 0x8000)

        let fresh = try DMAEngine.makePhysicalFunction(at: f.bdf, services: PCIBus().services)
        #expect(f.config.guestVisibleBytes == fresh.config.guestVisibleBytes)
        #expect(!msix.enabled && msix.isMasked(0) && !msix.isPending(0))
        #expect(t.bus.windows.isEmpty)
        #expect(!f.dma.busMasterEnabled)
        Firmware(bus: t.bus).enumerateAndAssign()
        let again = t.bus.access(f.bdf)
        #expect(again.read32(EngineDriver.bar, UInt64(R.Scratch.offset)) == 0)
        #expect(again.read32(EngineDriver.bar, UInt64(R.CompletedCount.offset)) == 0)
        #expect(again.read32(EngineDriver.bar, UInt64(R.Control.offset)) == 0)
        #expect(again.read32(EngineDriver.msixBAR, 12) == 1)
    }

    @Test("Bus reset returns every engine to reset state")
    func busReset() throws {
        let t = try EngineBench(count: 2, totalVFs: 4)
        for f in t.functions { try EngineDriver(t.bus.access(f.bdf)).write(R.Scratch.offset, 7) }
        t.bus.configWrite(t.functions[0].bdf, 0x170, width: .word, value: 4)
        t.bus.configWrite(t.functions[0].bdf, 0x168, width: .word, value: 0x19)
        #expect(t.bus.functions.count == 6)
        t.bus.reset()
        #expect(t.bus.functions.count == 2)
        #expect(t.bus.windows.isEmpty)
        Firmware(bus: t.bus).enumerateAndAssign()
        for f in t.functions { #expect(t.bus.access(f.bdf).read32(EngineDriver.bar, UInt64(R.Scratch.offset)) == 0) }
    }

    @Test(
        "Random register writes and random descriptor bytes never crash; after Reset the engine copies correctly",
        arguments: [UInt64(1), 2, 3, 0xdead_beef])
    func garbage(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let t = try EngineBench()
        let driver = try EngineDriver(t.bus.access(t.functions[0].bdf), entries: 16, interrupts: true)
        driver.enableMSIX()
        let scratch = try driver.access.allocateDMA(0x2000)
        for _ in 0..<2000 {
            switch rng.next() % 4 {
            case 0:
                // Random bytes over a random descriptor, sometimes pointing into our own buffer.
                let index = Int(rng.next() % 16)
                for b in 0..<D.size { driver.ring.host[index * D.size + b] = UInt8(truncatingIfNeeded: rng.next()) }
                if rng.next() % 2 == 0 {
                    let at = index * D.size
                    let base = scratch.deviceAddress.value
                    driver.ring.host.storeBytes(of: base + rng.next() % 0x2000, toByteOffset: at, as: UInt64.self)
                    driver.ring.host.storeBytes(of: base + rng.next() % 0x2000, toByteOffset: at + 8, as: UInt64.self)
                    driver.ring.host.storeBytes(of: UInt32(rng.next() % 0x2100), toByteOffset: at + 16, as: UInt32.self)
                }
            case 1:
                driver.write(R.RingTail.offset, UInt32(truncatingIfNeeded: rng.next() % 32))
            default:
                let offset = UInt64(rng.next() % 0x48) & ~3
                let width: AccessWidth = [.byte, .word, .dword, .qword][Int(rng.next() % 4)]
                let aligned = offset & ~UInt64(width.rawValue - 1)
                if aligned == UInt64(R.Control.offset), rng.next() % 4 != 0 { continue }
                driver.access.barWrite(EngineDriver.bar, offset: aligned, width: width, value: rng.next())
                _ = driver.access.barRead(EngineDriver.bar, offset: aligned, width: width)
            }
        }
        _ = driver.access.waitForInterrupt(vector: 0, timeout: .microseconds(1))

        driver.reset()
        #expect(driver.read(R.Status.offset) == 1)
        #expect(driver.read(R.ID.offset) == 0xdb01_0001)
        let source = try driver.access.allocateDMA(0x1000)
        let destination = try driver.access.allocateDMA(0x1000)
        source.fill(UInt8(truncatingIfNeeded: seed))
        for i in 0..<16 {
            let n = driver.copy(
                from: source.deviceAddress(at: i * 0x100), to: destination.deviceAddress(at: i * 0x100), length: 0x100)
            #expect(driver.status(n) == D.statusDone)
        }
        #expect(destination.bytes(0..<0x1000) == source.bytes(0..<0x1000))
        #expect(driver.read(R.CompletedCount.offset) == 16)
        #expect(driver.read(R.ErrorCount.offset) == 0)
    }
}
