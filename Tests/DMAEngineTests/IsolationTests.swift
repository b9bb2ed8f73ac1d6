import DMAEngine
import PCIe
import Testing

/// Every DMA goes through the issuing function's IOMMU domain: one engine cannot reach another
/// function's buffers.
@Suite("IOMMU isolation between DMA engines")
struct IsolationTests {
    struct Setup {
        let t: EngineBench
        let a: EngineDriver
        let b: EngineDriver
        let aBuffer: DMABuffer
        let bBuffer: DMABuffer

        init() throws {
            t = try EngineBench(count: 2)
            a = try EngineDriver(t.bus.access(t.functions[0].bdf))
            b = try EngineDriver(t.bus.access(t.functions[1].bdf))
            aBuffer = try a.access.allocateDMA(0x1000)
            bBuffer = try b.access.allocateDMA(0x1000)
            aBuffer.fill(0xa0)
            bBuffer.fill(0xb0)
        }
    }

    @Test("Engine A reading B's buffer fails with sourceFault naming A, the address and length")
    func sourceIsolation() throws {
        let s = try Setup()
        let bBefore = s.bBuffer.bytes(0..<0x1000)
        let i = s.a.copy(from: s.bBuffer.deviceAddress, to: s.aBuffer.deviceAddress, length: 0x80)
        #expect(s.a.status(i) == D.status(.sourceFault))
        #expect(s.aBuffer.bytes(0..<0x80) != Array(bBefore[0..<0x80]))
        let fault = try #require(s.t.services.faults.faults.last)
        #expect(fault.function == s.t.functions[0].bdf)
        #expect(fault.address == s.bBuffer.deviceAddress)
        #expect(fault.length == 0x80)
        #expect(fault.access == .read)
        #expect(fault.reason == .unmapped(s.bBuffer.deviceAddress, length: 0x80))
        #expect(s.t.services.faults.faults(of: s.t.functions[1].bdf).isEmpty)
    }

    @Test("Engine A writing B's buffer fails with destinationFault and B's memory is unchanged")
    func destinationIsolation() throws {
        let s = try Setup()
        let bBefore = s.bBuffer.bytes(0..<0x1000)
        let i = s.a.copy(from: s.aBuffer.deviceAddress, to: s.bBuffer.deviceAddress(at: 0x100), length: 0x100)
        #expect(s.a.status(i) == D.status(.destinationFault))
        #expect(s.bBuffer.bytes(0..<0x1000) == bBefore)
        let fault = try #require(s.t.services.faults.faults.last)
        #expect(fault.function == s.t.functions[0].bdf)
        #expect(fault.address == s.bBuffer.deviceAddress(at: 0x100))
        #expect(fault.length == 0x100)
        #expect(fault.access == .write)
        // B itself may copy inside its own buffer.
        let j = s.b.copy(from: s.bBuffer.deviceAddress, to: s.bBuffer.deviceAddress(at: 0x800), length: 0x100)
        #expect(s.b.status(j) == D.statusDone)
        #expect(s.bBuffer.bytes(0x800..<0x900) == Array(bBefore[0..<0x100]))
    }

    @Test("A ring pointing at another function's memory halts with ringFault and reads nothing")
    func ringIsolation() throws {
        let s = try Setup()
        let ring = s.b.ring.deviceAddress.value
        s.a.write(R.RingBaseLow.offset, UInt32(truncatingIfNeeded: ring))
        s.a.write(R.RingBaseHigh.offset, UInt32(truncatingIfNeeded: ring >> 32))
        s.b.post(at: 0, source: s.bBuffer.deviceAddress.value, destination: s.bBuffer.deviceAddress.value + 0x800, length: 0x10)
        s.a.write(R.RingTail.offset, 1)
        #expect(s.a.read(R.LastError.offset) == 5)
        #expect(s.b.status(0) == 0, "B's descriptor was not consumed")
        #expect(s.t.services.faults.faults.last?.function == s.t.functions[0].bdf)
    }

    @Test("Bus master disabled: no DMA at all, a ring fault and a busMasterDisabled fault")
    func busMasterOff() throws {
        let s = try Setup()
        let f = s.t.functions[0]
        s.t.bus.configWrite(f.bdf, 4, width: .word, value: 0x2)
        s.a.post(at: 0, source: s.aBuffer.deviceAddress.value, destination: s.aBuffer.deviceAddress.value + 0x800, length: 0x10)
        let before = s.aBuffer.bytes(0..<0x1000)
        s.a.write(R.RingTail.offset, 1)
        #expect(s.aBuffer.bytes(0..<0x1000) == before)
        #expect(s.a.status(0) == 0)
        #expect(s.a.read(R.LastError.offset) == 5)
        let fault = try #require(s.t.services.faults.faults.last)
        #expect(fault.function == f.bdf)
        #expect(fault.reason == .busMasterDisabled)
        #expect(fault.address == s.a.ring.deviceAddress)
    }
}
