import DMAEngine
import PCIe
import Testing

@Suite("DMA engine descriptor ring")
struct DescriptorRingTests {
    struct Setup {
        let t: EngineBench
        let driver: EngineDriver
        let source: DMABuffer
        let destination: DMABuffer

        init(interrupts: Bool = false) throws {
            t = try EngineBench()
            driver = try EngineDriver(t.bus.access(t.functions[0].bdf), entries: 8, interrupts: interrupts)
            source = try driver.access.allocateDMA(0x4000)
            destination = try driver.access.allocateDMA(0x4000)
            source.fill(0x11)
        }
    }

    @Test("A ring of descriptors copies data, writes back Done and counts completions and bytes")
    func copies() throws {
        let s = try Setup()
        let lengths: [UInt32] = [1, 0x100, 0x7ff, 0x1000, 3]
        var offset = 0
        for length in lengths {
            s.driver.copy(from: s.source.deviceAddress(at: offset), to: s.destination.deviceAddress(at: offset), length: length)
            offset += Int(length)
        }
        #expect(s.destination.bytes(0..<offset) == s.source.bytes(0..<offset))
        #expect(s.destination.bytes(offset..<(offset + 16)) == Array(repeating: 0, count: 16), "nothing past the last byte")
        for i in lengths.indices { #expect(s.driver.status(i) == D.statusDone) }
        #expect(s.driver.read(R.CompletedCount.offset) == 5)
        #expect(s.driver.read(R.ErrorCount.offset) == 0)
        #expect(s.driver.access.read64(EngineDriver.bar, UInt64(R.BytesCopied.offset)) == UInt64(offset))
        #expect(s.driver.read(R.RingHead.offset) == 5)
        #expect(s.driver.read(R.Status.offset) == 1, "running, not halted")
    }

    @Test("The ring wraps: head follows the tail around the ring")
    func wraps() throws {
        let s = try Setup()
        for i in 0..<20 {
            s.driver.copy(from: s.source.deviceAddress(at: i * 16), to: s.destination.deviceAddress(at: i * 16), length: 16)
            #expect(s.driver.read(R.RingHead.offset) == UInt32((i + 1) % 8))
        }
        #expect(s.destination.bytes(0..<320) == s.source.bytes(0..<320))
        #expect(s.driver.read(R.CompletedCount.offset) == 20)
    }

    @Test("A disabled engine does not process descriptors until enabled")
    func disabled() throws {
        let s = try Setup()
        s.driver.write(R.Control.offset, 0)
        s.driver.copy(from: s.source.deviceAddress, to: s.destination.deviceAddress, length: 8)
        #expect(s.driver.read(R.RingHead.offset) == 0)
        #expect(s.driver.read(R.Status.offset) & 1 == 0)
        s.driver.write(R.Control.offset, 1)
        #expect(s.driver.read(R.RingHead.offset) == 1)
        #expect(s.destination.bytes(0..<8) == s.source.bytes(0..<8))
    }

    @Test("Completion interrupt: pending while vector 0 is masked, delivered after unmask")
    func interrupt() throws {
        let s = try Setup(interrupts: true)
        let access = s.driver.access
        let msix = try #require(s.t.functions[0].msix)
        let control = access.configRead(0x72, width: .word)
        access.configWrite(0x72, width: .word, value: control | 0x8000)
        s.driver.copy(from: s.source.deviceAddress, to: s.destination.deviceAddress, length: 64, flags: D.flagRequestInterrupt)
        #expect(!access.waitForInterrupt(vector: 0, timeout: .microseconds(10)), "vector 0 is masked at reset")
        #expect(access.read64(EngineDriver.msixBAR, 0x2000) & 1 == 1, "PBA bit 0 pending")
        #expect(s.driver.read(R.InterruptCause.offset) == 1)
        access.write64(EngineDriver.msixBAR, 0, 0xfee0_0000)
        access.write32(EngineDriver.msixBAR, 8, 0x31)
        access.write32(EngineDriver.msixBAR, 12, 0)
        #expect(access.waitForInterrupt(vector: 0, timeout: .microseconds(10)))
        #expect(msix.delivered[0] == 1)
        #expect(msix.lastMessage?.data == 0x31)
        #expect(msix.lastMessage?.source == s.t.functions[0].bdf)
        s.driver.write(R.InterruptCause.offset, 1)
        #expect(s.driver.read(R.InterruptCause.offset) == 0, "Completion is W1C")
        s.driver.copy(from: s.source.deviceAddress, to: s.destination.deviceAddress, length: 64, flags: 0)
        #expect(!access.waitForInterrupt(vector: 0, timeout: .microseconds(10)), "no interrupt without RequestInterrupt")
        s.driver.copy(from: s.source.deviceAddress, to: s.destination.deviceAddress, length: 64, flags: D.flagRequestInterrupt)
        #expect(access.waitForInterrupt(vector: 0, timeout: .microseconds(10)))
        #expect(msix.delivered[0] == 2)
    }

    @Test("Interrupt Enable clear: completions set the cause but signal nothing")
    func interruptDisabled() throws {
        let s = try Setup(interrupts: false)
        s.driver.enableMSIX()
        s.driver.copy(from: s.source.deviceAddress, to: s.destination.deviceAddress, length: 64, flags: D.flagRequestInterrupt)
        #expect(s.driver.read(R.InterruptCause.offset) == 1)
        #expect(!s.driver.access.waitForInterrupt(vector: 0, timeout: .microseconds(10)))
        #expect(s.t.functions[0].msix?.isPending(0) == false)
    }

    @Test(
        "Bad lengths fail with code badLength, are counted and the engine keeps working",
        arguments: [UInt32(0), D.maxLength + 1, .max])
    func badLength(length: UInt32) throws {
        let s = try Setup(interrupts: true)
        s.driver.enableMSIX()
        let bad = s.driver.copy(from: s.source.deviceAddress, to: s.destination.deviceAddress, length: length)
        #expect(s.driver.status(bad) == D.status(.badLength))
        #expect(s.driver.status(bad) == 0x103)
        #expect(s.driver.read(R.ErrorCount.offset) == 1)
        #expect(s.driver.read(R.LastError.offset) == UInt32(bad) << 16 | 1)
        #expect(s.driver.read(R.InterruptCause.offset) == 2)
        #expect(s.driver.access.waitForInterrupt(vector: 0, timeout: .microseconds(1)), "errors interrupt too")
        #expect(s.destination.bytes(0..<16) == Array(repeating: 0, count: 16))
        let errors = s.t.bus.services.guestErrors.entries.filter { $0.kind == .device }
        #expect(errors.count == 1 && errors.first?.function == s.t.functions[0].bdf)
        let good = s.driver.copy(from: s.source.deviceAddress, to: s.destination.deviceAddress, length: 16)
        #expect(s.driver.status(good) == D.statusDone)
        #expect(s.destination.bytes(0..<16) == s.source.bytes(0..<16))
        #expect(s.driver.read(R.CompletedCount.offset) == 1)
    }

    @Test("Unmapped source and destination fail with sourceFault / destinationFault and the engine keeps working")
    func unmappedAddresses() throws {
        let s = try Setup()
        let nowhere = IOVA(0x7_0000_0000)
        let a = s.driver.copy(from: nowhere, to: s.destination.deviceAddress, length: 32)
        #expect(s.driver.status(a) == D.status(.sourceFault))
        #expect(s.driver.read(R.LastError.offset) & 0xff == 2)
        let b = s.driver.copy(from: s.source.deviceAddress, to: nowhere, length: 32)
        #expect(s.driver.status(b) == D.status(.destinationFault))
        #expect(s.driver.read(R.LastError.offset) == UInt32(b) << 16 | 3)
        let straddle = s.driver.copy(from: s.source.deviceAddress(at: 0x3ff0), to: s.destination.deviceAddress, length: 32)
        #expect(s.driver.status(straddle) == D.status(.sourceFault), "past the end of the mapping")
        #expect(s.driver.read(R.ErrorCount.offset) == 3)
        let faults = s.t.bus.services.faults.faults
        #expect(faults.map(\.address) == [nowhere, nowhere, s.source.deviceAddress(at: 0x3ff0)])
        #expect(faults.map(\.access) == [.read, .write, .read])
        #expect(faults.allSatisfy { $0.length == 32 && $0.function == s.t.functions[0].bdf })
        #expect(s.destination.bytes(0..<32) == Array(repeating: 0, count: 32))
        let good = s.driver.copy(from: s.source.deviceAddress, to: s.destination.deviceAddress, length: 32)
        #expect(s.driver.status(good) == D.statusDone)
        #expect(s.destination.bytes(0..<32) == s.source.bytes(0..<32))
    }

    @Test("An unmapped ring halts the engine with ringFault until Reset; Reset recovers")
    func ringFault() throws {
        let s = try Setup()
        s.driver.write(R.RingBaseHigh.offset, 0x7)
        s.driver.write(R.RingTail.offset, 1)
        #expect(s.driver.read(R.Status.offset) == 2, "halted, not running")
        #expect(s.driver.read(R.LastError.offset) == 5)
        #expect(s.driver.read(R.RingHead.offset) == 0, "head stays on the unreadable descriptor")
        #expect(s.driver.read(R.InterruptCause.offset) & 2 != 0)
        let faultsBefore = s.t.bus.services.faults.total
        s.driver.write(R.RingTail.offset, 2)
        #expect(s.t.bus.services.faults.total == faultsBefore, "a halted engine does not touch the ring")
        s.driver.reset()
        #expect(s.driver.read(R.Status.offset) == 1)
        #expect(s.driver.read(R.ErrorCount.offset) == 0)
        #expect(s.driver.read(R.LastError.offset) == 0)
        let good = s.driver.copy(from: s.source.deviceAddress, to: s.destination.deviceAddress, length: 32)
        #expect(s.driver.status(good) == D.statusDone)
        #expect(s.destination.bytes(0..<32) == s.source.bytes(0..<32))
    }

    @Test("A ring fault signals vector 0 when interrupts are enabled")
    func ringFaultInterrupts() throws {
        let s = try Setup(interrupts: true)
        s.driver.enableMSIX()
        s.driver.write(R.RingBaseHigh.offset, 0x7)
        s.driver.write(R.RingTail.offset, 1)
        #expect(s.driver.read(R.Status.offset) == 2)
        #expect(s.driver.read(R.InterruptCause.offset) == 2)
        #expect(s.driver.access.waitForInterrupt(vector: 0, timeout: .microseconds(1)))
    }

    @Test("A status that cannot be written back fails with writeBackFault")
    func writeBackFault() throws {
        let s = try Setup()
        let f = s.t.functions[0]
        let region = s.t.bus.services.memory.allocate(0x1000)
        let ringIOVA = IOVA(0x40_0000_0000)
        try f.dma.domain.map(ringIOVA, size: 0x1000, to: region.base, permissions: .read)
        let host = UnsafeMutableRawBufferPointer(start: region.host, count: 0x1000)
        host.storeBytes(of: s.source.deviceAddress.value.littleEndian, toByteOffset: 0, as: UInt64.self)
        host.storeBytes(of: s.destination.deviceAddress.value.littleEndian, toByteOffset: 8, as: UInt64.self)
        host.storeBytes(of: UInt32(16).littleEndian, toByteOffset: 16, as: UInt32.self)
        s.driver.write(R.RingBaseLow.offset, 0)
        s.driver.write(R.RingBaseHigh.offset, 0x40)
        s.driver.write(R.RingTail.offset, 1)
        #expect(s.driver.read(R.LastError.offset) == 4)
        #expect(s.driver.read(R.RingHead.offset) == 1, "not a ring fault: the engine moves on")
        #expect(s.driver.read(R.CompletedCount.offset) == 0)
        #expect(host.load(fromByteOffset: 0x18, as: UInt32.self) == 0)
        #expect(s.t.bus.services.faults.faults.last?.reason == .permission(ringIOVA.advanced(by: 0x18), .write))
    }

    @Test("A tail outside the ring is ignored and recorded")
    func tailBeyondRing() throws {
        let s = try Setup()
        s.driver.post(at: 0, source: s.source.deviceAddress.value, destination: s.destination.deviceAddress.value, length: 8)
        s.driver.write(R.RingTail.offset, 8)
        #expect(s.driver.read(R.RingHead.offset) == 0)
        #expect(s.driver.status(0) == 0)
        let errors = s.t.bus.services.guestErrors.entries
        #expect(errors.count == 1)
        #expect(errors.first?.kind == .device && errors.first?.function == s.t.functions[0].bdf)
        #expect(errors.first?.detail.contains("RingTail 8") == true)
        s.driver.write(R.RingTail.offset, 1)
        #expect(s.driver.status(0) == D.statusDone)
    }

    @Test("Invalid ring sizes refuse the doorbell and are recorded", arguments: [0, 1, 3, 4097, 8191])
    func badRingSize(entries: Int) throws {
        let s = try Setup()
        s.driver.write(R.RingSize.offset, UInt32(entries))
        s.driver.post(at: 0, source: s.source.deviceAddress.value, destination: s.destination.deviceAddress.value, length: 8)
        s.driver.write(R.RingTail.offset, 1)
        #expect(s.driver.read(R.RingHead.offset) == 0)
        #expect(s.driver.status(0) == 0)
        #expect(s.t.bus.services.guestErrors.counts[.device] == 1)
    }

    @Test("Soft Reset returns every register to its reset value and reads back zero")
    func softReset() throws {
        let s = try Setup()
        s.driver.write(R.Scratch.offset, 0x1234)
        s.driver.copy(from: s.source.deviceAddress, to: s.destination.deviceAddress, length: 8)
        s.driver.write(R.Control.offset, 0x2)
        for register in [
            R.Control.offset, R.Status.offset, R.RingBaseLow.offset, R.RingSize.offset, R.RingHead.offset,
            R.RingTail.offset, R.CompletedCount.offset, R.Scratch.offset,
        ] {
            #expect(s.driver.read(register) == 0, "register 0x\(String(register, radix: 16))")
        }
        #expect(s.driver.access.read64(EngineDriver.bar, UInt64(R.BytesCopied.offset)) == 0)
        #expect(s.driver.read(R.ID.offset) == 0xdb01_0001)
    }
}
