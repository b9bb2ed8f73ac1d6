import ENA
import Network
import PCIe
import Testing

@Suite("ENA admin queue: queues, features, statistics")
struct AdminTests {
    @Test("admin completions carry the command id, phase bit and AQ head; vector 0 fires")
    func completions() throws {
        let b = try ENABench.ready()
        let before = b.interrupts(0)
        for _ in 0..<40 {
            let c = try b.getFeature(.mtu)
            #expect(c.status == 0)
            #expect(c.load(UInt32.self, at: 8) == 1500)
        }
        #expect(b.interrupts(0) >= before + 40)
        #expect(b.read32(R.ACQ_TAIL.offset) == 41)
    }

    @Test("INTR_MASK holds admin interrupts (polling mode) until unmasked")
    func adminInterruptMask() throws {
        let b = try ENABench.ready()
        b.write32(R.INTR_MASK.offset, 1)
        let before = b.interrupts(0)
        #expect(try b.getFeature(.mtu).status == 0)
        #expect(b.interrupts(0) == before)
        b.write32(R.INTR_MASK.offset, 0)
        #expect(b.interrupts(0) == before + 1)
    }

    @Test("CQ then SQ per queue: Tx queue q gets index 2q, Rx queue q gets 2q + 1; destroy frees them")
    func queueIndices() throws {
        let b = try ENABench.ready()
        var pairs: [IOQueuePair] = []
        for q in 0..<3 {
            let tx = try IOQueuePair(b, transmit: true, vector: q + 1)
            let rx = try IOQueuePair(b, transmit: false, vector: q + 1)
            #expect(tx.index == 2 * q)
            #expect(rx.index == 2 * q + 1)
            #expect(tx.doorbell == R.SQ_DB.offset(2 * q))
            #expect(rx.unmaskRegister == R.CQ_INTR.offset(2 * q + 1))
            pairs += [tx, rx]
        }
        let busy = try b.admin(.destroyCQ) { $0.store(UInt16(0), at: 4) }
        #expect(busy.status == ENAAdminStatus.illegalParameter.rawValue)
        let wrongDirection = try b.admin(.destroySQ) {
            $0.store(UInt16(0), at: 4)
            $0.store(UInt8(2 << 5), at: 6)
        }
        #expect(wrongDirection.status == ENAAdminStatus.illegalParameter.rawValue)
        #expect(
            try b.admin(.destroySQ) {
                $0.store(UInt16(0), at: 4)
                $0.store(UInt8(1 << 5), at: 6)
            }.status == 0)
        #expect(try b.admin(.destroyCQ) { $0.store(UInt16(0), at: 4) }.status == 0)
        #expect(try IOQueuePair(b, transmit: true).index == 0)
    }

    @Test("DEVICE_ATTRIBUTES: MAC, max MTU, supported features, capabilities, address widths")
    func deviceAttributes() throws {
        let b = try ENABench.ready()
        let c = try b.getFeature(.deviceAttributes)
        #expect(c.status == 0)
        #expect(c.load(UInt32.self, at: 12) == 0x0A)
        let supported = c.load(UInt32.self, at: 16)
        for f in [ENAFeatureID.maxQueuesExtended, .lowLatencyQueue, .rssHashFunction, .aenqConfig, .hostAttributeConfig] {
            #expect(supported & (1 << UInt32(f.rawValue)) != 0)
        }
        #expect(
            c.load(UInt32.self, at: 20) == ENACapability.eniStatistics.bit | ENACapability.customerMetrics.bit
                | ENACapability.extendedResetReasons.bit)
        #expect(c.load(UInt32.self, at: 24) == 48)
        #expect((0..<6).map { c.load(UInt8.self, at: 32 + $0) } == [0x02, 0x12, 0x34, 0x56, 0x78, 0x9a])
        #expect(c.load(UInt32.self, at: 40) == 9216)
    }

    @Test("MAX_QUEUES_EXT version 1, HW_HINTS, LLQ, AENQ_CONFIG, offloads, link, moderation")
    func featureReplies() throws {
        let b = try ENABench.ready()
        let q = try b.getFeature(.maxQueuesExtended, version: 1)
        #expect(q.load(UInt8.self, at: 8) == 1)
        #expect(q.load(UInt32.self, at: 12) == 8)
        #expect(q.load(UInt32.self, at: 28) == 1024)
        #expect(q.load(UInt16.self, at: 48) == 32)
        #expect(try b.getFeature(.hardwareHints).load(UInt16.self, at: 10) == 6000)
        let llq = try b.getFeature(.lowLatencyQueue)
        #expect(llq.load(UInt32.self, at: 12) == 1024)
        #expect(llq.load(UInt16.self, at: 22) == 1)
        #expect(llq.load(UInt16.self, at: 26) == 2)
        let aenq = try b.getFeature(.aenqConfig)
        #expect(aenq.load(UInt32.self, at: 8) == 0x99)
        #expect(aenq.load(UInt32.self, at: 12) == 0x99)
        #expect(try b.getFeature(.statelessOffloadConfig).load(UInt32.self, at: 12) == 0xF)
        #expect(try b.getFeature(.linkConfig).load(UInt32.self, at: 8) == 25_000)
        #expect(try b.getFeature(.interruptModeration).load(UInt16.self, at: 8) == 1)
    }

    @Test("SET MTU within 128...max; HOST_ATTR_CONFIG reads the host info page")
    func setFeatures() throws {
        let b = try ENABench.ready()
        #expect(try b.setFeature(.mtu) { $0.store(UInt32(9001), at: 20) }.status == 0)
        #expect(b.device.mtu == 9001)
        let page = try b.access.allocateDMA(4096)
        page.host.storeBytes(of: UInt32(1), as: UInt32.self)
        page.host.copyBytes(from: Array("Debian".utf8))
        page.host.storeBytes(of: UInt32(1), as: UInt32.self)
        for (i, ch) in "Debian".utf8.enumerated() { page.host.storeBytes(of: ch, toByteOffset: 4 + i, as: UInt8.self) }
        page.host.storeBytes(of: UInt16(2), toByteOffset: 188, as: UInt16.self)
        let c = try b.setFeature(.hostAttributeConfig) { $0.setAddress(page.deviceAddress.value, at: 20) }
        #expect(c.status == 0)
        #expect(b.device.hostInfo?.distribution == "Debian")
        #expect(b.device.hostInfo?.cpuCount == 2)
    }

    @Test("RSS: Toeplitz key and function, hash input fields, indirection table through control buffers")
    func rssFeatures() throws {
        let b = try ENABench.ready()
        let rx = try IOQueuePair(b, transmit: false)
        let key = try b.access.allocateDMA(48)
        key.host.storeBytes(of: UInt32(10), as: UInt32.self)
        for i in 0..<40 { key.host.storeBytes(of: UInt8(i), toByteOffset: 8 + i, as: UInt8.self) }
        let set = try b.setFeature(.rssHashFunction) {
            $0.store(UInt32(2), at: 24)
            $0.setControlBuffer(address: key.deviceAddress.value, length: 48)
        }
        #expect(set.status == 0)
        let readBack = try b.access.allocateDMA(48)
        let get = try b.getFeature(.rssHashFunction) { $0.setControlBuffer(address: readBack.deviceAddress.value, length: 48) }
        #expect(get.load(UInt32.self, at: 12) == 2)
        #expect(Array(readBack.host[8..<48]) == (0..<40).map { UInt8($0) })
        let table = try b.access.allocateDMA(4 * 128)
        for i in 0..<128 { table.host.storeBytes(of: UInt16(rx.index), toByteOffset: 4 * i, as: UInt16.self) }
        let ind = try b.setFeature(.rssIndirectionTableConfig) {
            $0.store(UInt16(7), at: 24)
            $0.store(UInt32.max, at: 28)
            $0.setControlBuffer(address: table.deviceAddress.value, length: 512)
        }
        #expect(ind.status == 0)
        let fields = try b.access.allocateDMA(256)
        for p in 0..<6 { fields.host.storeBytes(of: UInt16(0x0C), toByteOffset: 64 + 4 * p, as: UInt16.self) }
        let input = try b.setFeature(.rssHashInput) { $0.setControlBuffer(address: fields.deviceAddress.value, length: 256) }
        #expect(input.status == 0)
    }

    @Test("GET_STATS BASIC, ENI and CUSTOMER_METRICS")
    func statistics() throws {
        let b = try ENABench.ready()
        let tx = try IOQueuePair(b, transmit: true)
        try tx.postFrame(udpFrame(), requestID: 0)
        tx.ring()
        let basic = try b.admin(.getStats) { $0.store(UInt8(0), at: 16) }
        #expect(basic.load(UInt64.self, at: 8) == UInt64(udpFrame().count))
        #expect(basic.load(UInt64.self, at: 16) == 1)
        let eni = try b.admin(.getStats) { $0.store(UInt8(2), at: 16) }
        #expect(eni.status == 0)
        let buffer = try b.access.allocateDMA(64)
        let metrics = try b.admin(.getStats) {
            $0.store(UInt8(4), at: 16)
            $0.store(UInt64(0x24), at: 24)
            $0.setControlBuffer(address: buffer.deviceAddress.value, length: 64)
        }
        #expect(metrics.status == 0)
        #expect(metrics.load(UInt64.self, at: 8) == 0x24)
        #expect(buffer.host.load(fromByteOffset: 8, as: UInt64.self) == 500_000)
    }
}
