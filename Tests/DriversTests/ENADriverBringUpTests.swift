import ENA
import Network
import PCIe
import Testing

@testable import Drivers

@Suite("ENA driver bring-up")
struct ENADriverBringUpTests {
    @Test("bring-up runs the Linux order: host info, features, AENQ config, queues CQ then SQ, RSS, MTU")
    func adminOrder() throws {
        let b = try ENADriverBench(driver: .init(queuePairs: 2, mtu: 9000))
        let set = ENAAdminOpcode.setFeature.rawValue
        let get = ENAAdminOpcode.getFeature.rawValue
        let cq = ENAAdminOpcode.createCQ.rawValue
        let sq = ENAAdminOpcode.createSQ.rawValue
        let expected: [(UInt8, UInt8?)] = [
            (set, ENAFeatureID.hostAttributeConfig.rawValue), (get, ENAFeatureID.deviceAttributes.rawValue),
            (get, ENAFeatureID.maxQueuesExtended.rawValue), (get, ENAFeatureID.hardwareHints.rawValue),
            (get, ENAFeatureID.aenqConfig.rawValue), (get, ENAFeatureID.statelessOffloadConfig.rawValue),
            (get, ENAFeatureID.aenqConfig.rawValue), (set, ENAFeatureID.aenqConfig.rawValue),
            (cq, nil), (sq, nil), (cq, nil), (sq, nil), (cq, nil), (sq, nil), (cq, nil), (sq, nil),
            (set, ENAFeatureID.rssHashFunction.rawValue), (set, ENAFeatureID.rssHashInput.rawValue),
            (set, ENAFeatureID.rssIndirectionTableConfig.rawValue), (set, ENAFeatureID.mtu.rawValue),
        ]
        let log = b.adminLog(expected.count + 1)
        for (i, (opcode, feature)) in expected.enumerated() {
            #expect(log[i].opcode == opcode, "admin command \(i)")
            if let feature { #expect(log[i].feature == feature, "admin command \(i)") }
        }
        #expect(log[expected.count].opcode == 0, "nothing after SET_FEATURE MTU")
        #expect(b.device.mtu == 9000)
        #expect(b.guestErrors.isEmpty)
    }

    @Test("a control buffer is zero over the bytes a command may hand the device, whatever the last command left")
    func controlBufferZeroedOverItsBytes() throws {
        let b = try ENADriverBench()
        let whole = try b.driver.zeroedControlBuffer(4096)
        for bytes in [0, 48, 256, 512, 4096] {
            whole.host.initializeMemory(as: UInt8.self, repeating: 0xA5)
            let buffer = try b.driver.zeroedControlBuffer(bytes)
            #expect(buffer.deviceAddress == whole.deviceAddress)
            #expect(buffer.host.prefix(bytes).allSatisfy { $0 == 0 }, "\(bytes) bytes")
        }
        #expect(throws: ENADriverError.self) { try b.driver.zeroedControlBuffer(4097) }
        #expect(throws: ENADriverError.self) { try b.driver.zeroedControlBuffer(-1) }
    }

    @Test("reset handshake with reason NORMAL, readless reads, host info and device attributes")
    func handshakeAndAttributes() throws {
        let b = try ENADriverBench()
        #expect(b.driver.readless)
        #expect(b.device.lastResetReason == ENAResetReason.normal.rawValue)
        #expect(b.device.counters.resets == 1)
        #expect(b.device.counters.readlessReads > 0)
        let info = try #require(b.device.hostInfo)
        #expect(info.distribution == "DeviceBench")
        #expect(info.osType == 1)
        let attributes = try #require(b.driver.attributes)
        #expect(attributes.macAddress == b.device.configuration.macAddress)
        #expect(attributes.maxMTU == 9216)
        #expect(attributes.has(.eniStatistics))
        #expect(b.driver.limits?.maxTxQueues == 8)
        #expect(b.driver.hints == .default)
        #expect(b.driver.linkUp)
        #expect(b.driver.isRunning)
        #expect(try b.driver.readRegister(ENARegisters.VERSION.offset) == UInt32(ENARegisters.VERSION.reset))
    }

    @Test("queue pair q gets Tx index 2q and Rx index 2q + 1; every IO vector is programmed")
    func queueIndices() throws {
        let b = try ENADriverBench(driver: .init(queuePairs: 4))
        #expect(b.driver.queuePairCount == 4)
        for q in 0..<4 {
            let indices = try #require(b.driver.queueIndices(pair: q))
            #expect(indices.tx == 2 * q)
            #expect(indices.rx == 2 * q + 1)
        }
        let msix = try #require(b.bus.function(at: b.address)?.msix)
        #expect(msix.enabled)
        for v in 0...4 { #expect(!msix.isMasked(v)) }
    }

    @Test("more queue pairs than the device offers are capped by its limits")
    func cappedPairs() throws {
        let b = try ENADriverBench(ENAConfiguration(queuePairs: 2, allowances: .unlimited), driver: .init(queuePairs: 8))
        #expect(b.driver.queuePairCount == 2)
        #expect(b.roundTrip(8, queue: 1))
    }

    @Test("LLQ placement negotiates 128-byte entries with the header after two descriptors")
    func lowLatencyNegotiation() throws {
        let b = try ENADriverBench(driver: .init(placement: .lowLatency))
        let llq = try #require(b.driver.lowLatency)
        #expect(llq.entrySize == 128)
        #expect(llq.descriptorsBeforeHeader == 2)
        #expect(llq.inlineHeaderCapacity == 96)
    }

    @Test("binding refuses a function that is not an ENA; bad configurations are refused")
    func binding() throws {
        let b = try ENADriverBench(start: false)
        #expect(throws: ENADriverError.self) { try ENATestDriver(access: b.access, configuration: .init(ringSize: 100)) }
        #expect(throws: ENADriverError.self) { try ENATestDriver(access: b.access, configuration: .init(queuePairs: 0)) }
        let other = PCIBus()
        try other.attach(
            PCIFunction(
                FunctionConfiguration(
                    identity: FunctionIdentity(vendorID: 0x8086, deviceID: 0x10ed, revision: 1, classCode: 0x020000),
                    bars: [], capabilities: []), at: BDF(bus: 0, device: 1, function: 0), services: other.services))
        #expect(throws: ENADriverError.notFound(vendorID: 0x8086, deviceID: 0x10ed)) {
            try ENATestDriver(access: other.access(BDF(bus: 0, device: 1, function: 0)))
        }
    }

    @Test("start again after traffic: buffers return to the pool and the queues work")
    func restart() throws {
        let b = try ENADriverBench()
        #expect(b.roundTrip(40))
        let available = b.driver.pool?.available
        try b.driver.start()
        #expect(b.driver.pool?.available == available)
        #expect(b.device.counters.resets == 2)
        #expect(b.roundTrip(40))
    }
}
