import ENA
import PCIe
import Testing

@Suite("ENA registers, reset handshake and readless reads")
struct RegisterTests {
    @Test("VERSION 0.10, CONTROLLER_VERSION 0.0.1 impl 1, CAPS reset timeout / DMA width / admin timeout")
    func identityRegisters() throws {
        let b = try ENABench()
        #expect(b.read32(R.VERSION.offset) == 0x0A)
        #expect(b.read32(R.CONTROLLER_VERSION.offset) == 0x0100_0001)
        let caps = UInt64(b.read32(R.CAPS.offset))
        #expect(R.CAPS.resetTimeout.extract(from: caps) == 10)
        #expect(R.CAPS.dmaAddrWidth.extract(from: caps) == 48)
        #expect(R.CAPS.adminCmdTo.extract(from: caps) == 0)
        #expect(b.status == 1)
    }

    @Test("reset handshake: RESET_IN_PROGRESS while DEV_RESET is set, READY after, reason recorded")
    func resetHandshake() throws {
        let b = try ENABench()
        b.write32(R.DEV_CTL.offset, 1 | 3 << 28 | 1 << 24)
        #expect(b.status & 0x9 == 0x8)
        b.write32(R.DEV_CTL.offset, 0)
        #expect(b.status & 0x9 == 0x1)
        #expect(b.device.lastResetReason == 19)
        #expect(b.device.counters.resets == 1)
    }

    @Test("readless read: value and offset written, req_id last; reset forgets the response address")
    func readlessRead() throws {
        let b = try ENABench()
        let response = try b.access.allocateDMA(8)
        b.write32(R.MMIO_RESP_LO.offset, UInt32(truncatingIfNeeded: response.deviceAddress.value))
        b.write32(R.MMIO_RESP_HI.offset, UInt32(truncatingIfNeeded: response.deviceAddress.value >> 32))
        response.host.storeBytes(of: UInt16(0xDEAD &+ 7), as: UInt16.self)
        b.write32(R.MMIO_REG_READ.offset, UInt32(R.CAPS.offset) << 16 | 7)
        #expect(response.host.load(as: UInt16.self) == 7)
        #expect(response.host.load(fromByteOffset: 2, as: UInt16.self) == UInt16(R.CAPS.offset))
        #expect(response.host.load(fromByteOffset: 4, as: UInt32.self) == b.read32(R.CAPS.offset))
        // During a reset the driver reads DEV_STS this way, after re-arming MMIO_RESP.
        b.write32(R.DEV_CTL.offset, 1)
        b.write32(R.MMIO_REG_READ.offset, UInt32(R.DEV_STS.offset) << 16 | 8)
        #expect(response.host.load(as: UInt16.self) == 7)
        #expect(b.recorded("no MMIO_RESP buffer"))
        b.write32(R.MMIO_RESP_LO.offset, UInt32(truncatingIfNeeded: response.deviceAddress.value))
        b.write32(R.MMIO_RESP_HI.offset, UInt32(truncatingIfNeeded: response.deviceAddress.value >> 32))
        b.write32(R.MMIO_REG_READ.offset, UInt32(R.DEV_STS.offset) << 16 | 9)
        #expect(response.host.load(as: UInt16.self) == 9)
        #expect(response.host.load(fromByteOffset: 4, as: UInt32.self) & 0x8 == 0x8)
    }

    @Test("readless read of no register replies all ones; of an unmapped buffer records the fault")
    func readlessReadErrors() throws {
        let b = try ENABench()
        let response = try b.access.allocateDMA(8)
        b.write32(R.MMIO_RESP_LO.offset, UInt32(truncatingIfNeeded: response.deviceAddress.value))
        b.write32(R.MMIO_RESP_HI.offset, UInt32(truncatingIfNeeded: response.deviceAddress.value >> 32))
        b.write32(R.MMIO_REG_READ.offset, 0x0800 << 16 | 1)
        #expect(response.host.load(fromByteOffset: 4, as: UInt32.self) == 0xFFFF_FFFF)
        b.write32(R.MMIO_RESP_LO.offset, 0x7000_0000)
        b.write32(R.MMIO_REG_READ.offset, UInt32(R.VERSION.offset) << 16 | 2)
        #expect(b.recorded("cannot write the response"))
        #expect(b.bus.services.faults.faults.count == 1)
        #expect(b.read32(R.VERSION.offset) == 0x0A)
    }

    @Test("admin queue restart handshake")
    func adminRestart() throws {
        let b = try ENABench.ready()
        b.write32(R.DEV_CTL.offset, 2)
        #expect(b.status & 0x6 == 0x2)
        b.write32(R.DEV_CTL.offset, 0)
        #expect(b.status & 0x6 == 0x4)
        try b.setUpAdmin()
        #expect(try b.getFeature(.mtu).status == 0)
    }

    @Test("reset in the middle of traffic: queues are gone, bring-up works again")
    func resetDuringTraffic() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true)
        try tx.postFrame(udpFrame(), requestID: 0)
        b.reset(reason: ENAResetReason.missingTxCompletion.rawValue)
        tx.ring()
        #expect(b.far.count == 0)
        #expect(b.device.counters.ignoredDoorbells == 1)
        try b.setUpAdmin()
        try b.setUpEvents()
        let again = try IOQueuePair(b, transmit: true)
        try again.postFrame(udpFrame(), requestID: 0)
        again.ring()
        #expect(b.far.count == 1)
        #expect(b.device.lastResetReason == 3)
    }

    @Test("unknown BAR0 offsets and narrow doorbell writes are recorded, not fatal")
    func badAccesses() throws {
        let b = try ENABench.ready()
        #expect(b.read32(0x0900) == 0)
        b.access.barWrite(ENA.registerBAR, offset: 0x1000, width: .word, value: 1)
        #expect(b.guestErrors.filter { $0.kind == .badMMIOAccess }.count == 2)
        #expect(try b.getFeature(.mtu).status == 0)
    }
}
