import Drivers
import ENA
import PCIe

/// Admin commands (`ena_admin_defs.h`): the features a Linux driver reads, and the status of
/// every kind of bad command, the device serving the next good command each time.
enum ENAAdminSuite {
    static let name = ENAConformance.Suite.admin.rawValue

    static func run(_ f: ENAFixture) -> [CheckResult] {
        [
            f.always(name, "ena_admin DEVICE_ATTRIBUTES: MAC, MTU and the features and capabilities Linux needs") {
                attributes(f, &$0)
            },
            f.always(name, "ena_admin_aq_completion_status: an unknown opcode and an unsupported feature id") {
                unknownCommands(f, &$0)
            },
            f.always(name, "ena_admin CREATE_CQ: depth not a power of two, bad entry size, bad vector -> ILLEGAL_PARAMETER") {
                badCompletionQueues(f, &$0)
            },
            f.always(name, "ena_admin CREATE_SQ/DESTROY: missing CQ, queue ids out of range, bad direction -> ILLEGAL_PARAMETER")
            {
                badSubmissionQueues(f, &$0)
            },
            f.always(name, "ena_admin: rings and control buffers outside the IOMMU domain -> MALFORMED_REQUEST") {
                unmappedAddresses(f, &$0)
            },
            f.always(name, "ena_admin SET_FEATURE MTU: above max_mtu refused, within it read back by GET_FEATURE") {
                mtu(f, &$0)
            },
            f.always(name, "ena_admin GET_STATS: BASIC counts traffic; an unknown statistics type is refused") {
                statistics(f, &$0)
            },
        ]
    }

    private static func attributes(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let a = driver.attributes, let limits = driver.limits else { return }
        r.expect(a.macAddress.value != 0 && !a.macAddress.isMulticast, "MAC address \(a.macAddress)")
        r.expect(a.maxMTU >= 1500, "max MTU \(a.maxMTU)")
        let needed: [ENAFeatureID] = [
            .deviceAttributes, .maxQueuesExtended, .hardwareHints, .aenqConfig, .statelessOffloadConfig, .mtu,
            .rssHashFunction, .rssIndirectionTableConfig, .hostAttributeConfig,
        ]
        for feature in needed { r.expect(a.supports(feature), "supported_features lacks \(feature)") }
        r.expect(a.has(.eniStatistics), "capabilities lack ENI_STATS")
        r.expect(limits.maxTxQueues >= 1 && limits.maxRxQueues >= 1, "queue limits \(limits)")
        r.expect(limits.maxTxDepth >= 64 && limits.maxTxDepth & (limits.maxTxDepth - 1) == 0, "Tx depth \(limits.maxTxDepth)")
        r.expect(driver.hints.driverWatchdogTimeout != 0, "HW_HINTS give no watchdog timeout")
    }

    private static func unknownCommands(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r) else { return }
        f.expectStatus(ENAFixture.command(0x55), on: driver, .unsupportedOpcode, "opcode 0x55", &r)
        let unknownFeature = ENAFixture.command(ENAAdminOpcode.getFeature.rawValue) { $0.store(UInt8(31), at: 17) }
        f.expectStatus(unknownFeature, on: driver, .unsupportedOpcode, "GET_FEATURE of feature 31", &r)
        let setOnlyGet = ENAFixture.command(ENAAdminOpcode.getFeature.rawValue) {
            $0.store(ENAFeatureID.hostAttributeConfig.rawValue, at: 17)
        }
        f.expectStatus(setOnlyGet, on: driver, .unsupportedOpcode, "GET_FEATURE of HOST_ATTR_CONFIG", &r)
        r.expect((try? driver.basicStatistics()) != nil, "a good command fails after the bad ones")
    }

    /// A CREATE_CQ entry.
    static func createCQ(depth: UInt16, words: UInt8 = 2, vector: UInt32 = 1, interrupts: Bool = true, base: UInt64)
        -> ENAAdminEntry
    {
        ENAFixture.command(ENAAdminOpcode.createCQ.rawValue) {
            $0.store(UInt8(interrupts ? 0x20 : 0), at: 4)
            $0.store(words, at: 5)
            $0.store(depth, at: 6)
            $0.store(vector, at: 8)
            $0.setAddress(base, at: 12)
        }
    }

    /// A CREATE_SQ entry.
    static func createSQ(direction: UInt8 = 1, placement: UInt8 = 1, cq: UInt16, depth: UInt16, base: UInt64) -> ENAAdminEntry {
        ENAFixture.command(ENAAdminOpcode.createSQ.rawValue) {
            $0.store(direction << 5, at: 4)
            $0.store(placement, at: 6)
            $0.store(cq, at: 8)
            $0.store(depth, at: 10)
            $0.setAddress(base, at: 12)
        }
    }

    private static func badCompletionQueues(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let ring = f.buffer(64 * 16, &r) else { return }
        let base = ring.deviceAddress.value
        f.expectStatus(createCQ(depth: 48, base: base), on: driver, .illegalParameter, "CREATE_CQ depth 48", &r)
        f.expectStatus(createCQ(depth: 0, base: base), on: driver, .illegalParameter, "CREATE_CQ depth 0", &r)
        f.expectStatus(
            createCQ(depth: 64, words: 3, base: base), on: driver, .illegalParameter, "CREATE_CQ of 3-word entries", &r)
        f.expectStatus(createCQ(depth: 64, vector: 999, base: base), on: driver, .illegalParameter, "CREATE_CQ vector 999", &r)
        f.expectStatus(createCQ(depth: 64, base: base), on: driver, .success, "a good CREATE_CQ after the bad ones", &r)
    }

    private static func badSubmissionQueues(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let ring = f.buffer(64 * 16, &r) else { return }
        let base = ring.deviceAddress.value
        f.expectStatus(createSQ(cq: 40, depth: 64, base: base), on: driver, .illegalParameter, "CREATE_SQ on CQ 40", &r)
        f.expectStatus(createSQ(cq: 0xFFFF, depth: 64, base: base), on: driver, .illegalParameter, "CREATE_SQ on CQ 65535", &r)
        f.expectStatus(createSQ(cq: 0, depth: 64, base: base), on: driver, .illegalParameter, "CREATE_SQ on a CQ with an SQ", &r)
        guard let created = f.complete(createCQ(depth: 64, base: base), on: driver, "CREATE_CQ", &r) else { return }
        let cq = created.load(UInt16.self, at: 8)
        f.expectStatus(createSQ(direction: 3, cq: cq, depth: 64, base: base), on: driver, .illegalParameter, "SQ direction 3", &r)
        f.expectStatus(
            createSQ(direction: 2, placement: 3, cq: cq, depth: 64, base: base), on: driver, .illegalParameter,
            "an Rx SQ in LLQ placement", &r)
        f.expectStatus(createSQ(cq: cq, depth: 24, base: base), on: driver, .illegalParameter, "SQ depth 24", &r)
        let destroySQ = ENAFixture.command(ENAAdminOpcode.destroySQ.rawValue) { $0.store(UInt16(60), at: 4) }
        f.expectStatus(destroySQ, on: driver, .illegalParameter, "DESTROY_SQ 60", &r)
        let destroyCQ = ENAFixture.command(ENAAdminOpcode.destroyCQ.rawValue) { $0.store(UInt16(0), at: 4) }
        f.expectStatus(destroyCQ, on: driver, .illegalParameter, "DESTROY_CQ of a CQ that has an SQ", &r)
    }

    private static func unmappedAddresses(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r) else { return }
        let far = ENAFixture.unmappedAddress
        f.expectStatus(createCQ(depth: 64, base: far), on: driver, .malformedRequest, "CREATE_CQ with an unmapped ring", &r)
        let info = ENAFixture.command(ENAAdminOpcode.setFeature.rawValue) {
            $0.store(ENAFeatureID.hostAttributeConfig.rawValue, at: 17)
            $0.setAddress(far, at: 20)
        }
        f.expectStatus(info, on: driver, .malformedRequest, "HOST_ATTR_CONFIG with unmapped host info", &r)
        let key = ENAFixture.command(ENAAdminOpcode.setFeature.rawValue) {
            $0.store(ENAFeatureID.rssHashFunction.rawValue, at: 17)
            $0.store(UInt32(2), at: 24)
            $0.setControlBuffer(address: far, length: 48)
        }
        f.expectStatus(key, on: driver, .malformedRequest, "RSS_HASH_FUNCTION with an unmapped key buffer", &r)
        r.expect((try? driver.basicStatistics()) != nil, "a good command fails after the bad ones")
        r.expect(!ER.DEV_STS.fatalError.isSet(in: f.status), "bad addresses made the device fatal")
    }

    private static func mtu(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let maxMTU = driver.attributes?.maxMTU else { return }
        let tooBig = ENAFixture.command(ENAAdminOpcode.setFeature.rawValue) {
            $0.store(ENAFeatureID.mtu.rawValue, at: 17)
            $0.store(UInt32(maxMTU + 1), at: 20)
        }
        f.expectStatus(tooBig, on: driver, .illegalParameter, "SET_FEATURE MTU \(maxMTU + 1)", &r)
        let fine = ENAFixture.command(ENAAdminOpcode.setFeature.rawValue) {
            $0.store(ENAFeatureID.mtu.rawValue, at: 17)
            $0.store(UInt32(4000), at: 20)
        }
        f.expectStatus(fine, on: driver, .success, "SET_FEATURE MTU 4000", &r)
        let get = ENAFixture.command(ENAAdminOpcode.getFeature.rawValue) { $0.store(ENAFeatureID.mtu.rawValue, at: 17) }
        let value = f.complete(get, on: driver, "GET_FEATURE MTU", &r)?.load(UInt32.self, at: 8)
        r.expect(value == 4000, "GET_FEATURE MTU reads \(value.map { "\($0)" } ?? "nothing") after setting 4000")
    }

    private static func statistics(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let mac = driver.macAddress, let before = try? driver.basicStatistics() else {
            r.expect(false, "GET_STATS BASIC failed")
            return
        }
        let sent = f.tapped { f.transmit((0..<10).map { ENAFixture.frame($0, from: mac, to: MACAddressFor.peer) }, on: driver) }
        let after = try? driver.basicStatistics()
        let counted = (after?.txPackets ?? 0) &- before.txPackets
        let shaped = f.rig.allowances.map { !$0.isUnlimited } ?? true
        r.expect(
            counted == UInt64(sent) || (shaped && counted <= UInt64(sent)), "BASIC tx_pkts moved by \(counted) for \(sent) frames"
        )
        let unknown = ENAFixture.command(ENAAdminOpcode.getStats.rawValue) { $0.store(UInt8(9), at: 16) }
        f.expectStatus(unknown, on: driver, .illegalParameter, "GET_STATS type 9", &r)
    }
}
