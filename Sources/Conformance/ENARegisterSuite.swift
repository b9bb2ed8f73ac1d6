import Drivers
import ENA
import Network
import PCIe
import RegisterModel

/// PCI identity and BAR0 registers (`ena_regs_defs.h`): versions and CAPS, the DEV_CTL reset
/// handshake with its reason, what a reset forgets, and the admin queue restart handshake.
enum ENARegisterSuite {
    static let name = ENAConformance.Suite.registers.rawValue

    static func run(_ f: ENAFixture) -> [CheckResult] {
        [
            f.always(name, "PCI identity: 1d0f ENA device id, class 02:00:00, MSI-X, PCI Express and PM capabilities") {
                identity(f, &$0)
            },
            f.always(name, "ena_regs: VERSION >= 0.10, CONTROLLER_VERSION impl id, CAPS reset timeout and DMA width") {
                versions(f, &$0)
            },
            f.always(name, "ena_regs DEV_CTL: DEV_RESET shows RESET_IN_PROGRESS, clearing it READY | RESET_FINISHED") {
                resetHandshake(f, &$0)
            },
            f.always(name, "ena_regs DEV_CTL: a reset forgets the admin queue bases and the readless response address") {
                resetForgets(f, &$0)
            },
            f.always(name, "ena_regs DEV_CTL: AQ_RESTART shows AQ_RESTART_IN_PROGRESS, then AQ_RESTART_FINISHED") {
                adminRestart(f, &$0)
            },
            f.always(name, "ena_regs DEV_CTL: a reset in the middle of traffic; the device serves again after it") {
                resetDuringTraffic(f, &$0)
            },
        ]
    }

    private static func identity(_ f: ENAFixture, _ r: inout CheckRecorder) {
        let vendor = f.access.configRead16(ConfigOffset(PCIType0Header.VendorID.offset))
        let device = f.access.configRead16(ConfigOffset(PCIType0Header.DeviceID.offset))
        let classCode = f.access.configRead(ConfigOffset(PCIType0Header.RevisionID.offset), width: .dword) >> 8
        r.expect(vendor == ENA.vendorID, "vendor id \(hex(vendor))")
        r.expect([0x0ec2, 0x1ec2, 0xec20, 0xec21].contains(device), "device id \(hex(device)) is not an ENA id")
        r.expect(classCode == ENA.classCode, "class code \(hex(classCode))")
        r.expect(f.access.findCapability(MSIXCapability.capabilityID) != nil, "no MSI-X capability")
        r.expect(f.access.findCapability(PCIExpressCapability.capabilityID) != nil, "no PCI Express capability")
        r.expect(f.access.findCapability(PowerManagementCapability.capabilityID) != nil, "no PM capability")
        let bar2 = f.access.configRead(ConfigOffset(PCIType0Header.BAR.offset + 8), width: .dword)
        r.expect(bar2 & 0x8 != 0, "BAR2 (LLQ memory) is not prefetchable (\(hex(bar2)))")
    }

    private static func versions(_ f: ENAFixture, _ r: inout CheckRecorder) {
        f.reset(&r)
        let version = f.read32(ER.VERSION.offset)
        let major = ER.VERSION.majorVersion.extract(from: version)
        let minor = ER.VERSION.minorVersion.extract(from: version)
        r.expect(major > 0 || minor >= 10, "VERSION \(major).\(minor) is older than 0.10")
        let controller = f.read32(ER.CONTROLLER_VERSION.offset)
        r.expect(ER.CONTROLLER_VERSION.implID.extract(from: controller) != 0, "CONTROLLER_VERSION \(hex(controller)): impl id 0")
        let caps = f.read32(ER.CAPS.offset)
        r.expect(ER.CAPS.resetTimeout.extract(from: caps) != 0, "CAPS \(hex(caps)): RESET_TIMEOUT is 0")
        let width = ER.CAPS.dmaAddrWidth.extract(from: caps)
        r.expect((32...48).contains(width), "CAPS \(hex(caps)): DMA width \(width) outside 32...48")
        r.expect(ER.DEV_STS.ready.isSet(in: f.status), "DEV_STS \(hex(f.status)) is not READY after a reset")
    }

    private static func resetHandshake(_ f: ENAFixture, _ r: inout CheckRecorder) {
        for reason: UInt8 in [0, 1, 19] {
            let control = UInt32(ER.DEV_CTL.devReset.mask) | UInt32(reason & 0xF) << 28 | UInt32(reason >> 4) << 24
            f.write32(ER.DEV_CTL.offset, control)
            let during = f.status
            r.expect(
                ER.DEV_STS.resetInProgress.isSet(in: during) && !ER.DEV_STS.ready.isSet(in: during),
                "reason \(reason): DEV_STS \(hex(during)) during the reset (expected RESET_IN_PROGRESS, not READY)")
            f.write32(ER.DEV_CTL.offset, 0)
            let after = f.status
            r.expect(
                ER.DEV_STS.ready.isSet(in: after) && ER.DEV_STS.resetFinished.isSet(in: after)
                    && !ER.DEV_STS.resetInProgress.isSet(in: after),
                "reason \(reason): DEV_STS \(hex(after)) after the reset (expected READY | RESET_FINISHED)")
        }
    }

    private static func resetForgets(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard f.startDriver(&r) != nil else { return }
        r.expect(f.read32(ER.AQ_BASE_LO.offset) != 0, "AQ_BASE_LO is 0 with the driver running")
        f.reset(&r)
        for (name, offset) in [
            ("AQ_BASE_LO", ER.AQ_BASE_LO.offset), ("ACQ_BASE_LO", ER.ACQ_BASE_LO.offset),
            ("AENQ_BASE_LO", ER.AENQ_BASE_LO.offset), ("MMIO_RESP_LO", ER.MMIO_RESP_LO.offset),
        ] {
            r.expect(f.read32(offset) == 0, "\(name) reads \(hex(f.read32(offset))) after a reset")
        }
    }

    private static func adminRestart(_ f: ENAFixture, _ r: inout CheckRecorder) {
        f.reset(&r)
        f.write32(ER.DEV_CTL.offset, UInt32(ER.DEV_CTL.aqRestart.mask))
        let during = f.status
        r.expect(ER.DEV_STS.aqRestartInProgress.isSet(in: during), "DEV_STS \(hex(during)) after AQ_RESTART=1")
        f.write32(ER.DEV_CTL.offset, 0)
        let after = f.status
        r.expect(
            ER.DEV_STS.aqRestartFinished.isSet(in: after) && !ER.DEV_STS.aqRestartInProgress.isSet(in: after),
            "DEV_STS \(hex(after)) after AQ_RESTART=0")
        guard let driver = f.startDriver(&r) else { return }
        r.expect((try? driver.basicStatistics()) != nil, "the admin queue does not work after a restart and a driver start")
    }

    private static func resetDuringTraffic(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r), let mac = driver.macAddress else { return }
        let peer = MACAddressFor.peer
        _ = f.tapped { f.transmit((0..<8).map { ENAFixture.frame($0, from: mac, to: peer) }, on: driver) }
        f.reset(reason: ENAResetReason.userTrigger.rawValue, &r)
        let ignored = f.transmit([ENAFixture.frame(9, from: mac, to: peer)], on: driver)
        r.expect(ignored <= 1, "transmit after the reset queued \(ignored) frames")
        guard let again = f.startDriver(&r) else { return }
        let sent = f.tapped { () -> Int in
            _ = f.transmit((0..<8).map { ENAFixture.frame($0, from: mac, to: peer) }, on: again)
            return f.recorder.count
        }
        r.expect(f.rig.wire == nil || sent == 8, "after the reset and a new start, \(sent) of 8 frames left the port")
    }
}

/// Addresses the suites use on the wire.
enum MACAddressFor {
    /// A peer on the far side of the wire (locally administered).
    static let peer = MACAddress(0x0200_00ee_0001)
}
