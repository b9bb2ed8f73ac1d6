import NVMe
import PCIe
import RegisterModel

/// The controller as EC2 shows it (AWS documentation, Amazon's nvme-cli plugin, lspci of
/// instances): PCI ids and BARs, Identify strings, the EBS block device name in the
/// vendor-specific Identify area, the statistics log page D0h with its magic, firmware commands
/// refused; plus the Identify structures every NVMe controller owes (§5.15).
enum NVMeIdentitySuite {
    static let name = "nvme-ec2-identity"
    static let ebsModel = "Amazon Elastic Block Store"
    static let instanceStoreModel = "Amazon EC2 NVMe Instance Storage"

    static func run(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "EC2 PCI identity: 1d0f:8061 (EBS) or 1d0f:cd01 (instance storage), class 01:08:02") {
                pciIDs(f, &$0)
            },
            f.always(name, "EC2 BARs: BAR0 16 KiB memory, instance storage BAR2 8 KiB prefetchable; MSI-X and PCIe") {
                bars(f, &$0)
            },
            f.always(name, "EC2 Identify: model for the device, serial (EBS vol + id), firmware; ASCII space padded") {
                strings(f, &$0)
            },
            f.check(name, "EC2 EBS: the vendor-specific Identify area holds the block device name, space padded") {
                blockDeviceName(f, &$0)
            },
            f.always(name, "EC2 Get Log Page D0h starts with the EBS (3C23B510h) or instance-storage (EC2C0D7Eh) magic") {
                statisticsPage(f, &$0)
            },
            f.always(name, "EC2 firmware commands are refused: OACS bit 2 clear, download and commit fail") { firmware(f, &$0) },
            f.always(name, "§5.15 Identify: VID/SSVID match config space; active namespace list; unique namespace ids") {
                structures(f, &$0)
            },
        ]
    }

    static func isEBS(_ f: NVMeFixture) -> Bool { f.function.deviceID == NVMe.ebsDeviceID }

    private static func config16(_ f: NVMeFixture, _ offset: Int) -> UInt16 { f.access.configRead16(ConfigOffset(offset)) }

    private static func pciIDs(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        let vendor = config16(f, PCIType0Header.VendorID.offset)
        let device = config16(f, PCIType0Header.DeviceID.offset)
        let classCode = f.access.configRead(ConfigOffset(PCIType0Header.RevisionID.offset), width: .dword) >> 8
        r.expect(vendor == 0x1d0f, "vendor \(hex(vendor)), expected Amazon 1d0f")
        r.expect(device == 0x8061 || device == 0xcd01, "device \(hex(device)), expected 8061 (EBS) or cd01 (instance storage)")
        r.expect(classCode == 0x01_0802, "class code \(hex(classCode)), expected 010802")
        let subsystemVendor = config16(f, PCIType0Header.SubsystemVendorID.offset)
        r.expect(subsystemVendor == 0x1d0f, "subsystem vendor \(hex(subsystemVendor)), expected 1d0f")
    }

    /// Size and flag bits of BAR `i` by the sizing protocol (restored afterwards).
    private static func sizeBAR(_ f: NVMeFixture, _ i: Int) -> (size: UInt64, flags: UInt32) {
        let at = ConfigOffset(PCIType0Header.BAR.offset + 4 * i)
        let original = f.bus.configRead(f.function.bdf, at, width: .dword)
        f.bus.configWrite(f.function.bdf, at, width: .dword, value: 0xFFFF_FFFF)
        let probe = f.bus.configRead(f.function.bdf, at, width: .dword)
        f.bus.configWrite(f.function.bdf, at, width: .dword, value: original)
        let mask = UInt64(probe & ~0xF) | 0xFFFF_FFFF_0000_0000
        return (probe == 0 ? 0 : ~mask &+ 1, probe & 0xF)
    }

    private static func bars(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        let bar0 = sizeBAR(f, 0)
        r.expect(
            bar0.size == 0x4000 && bar0.flags & 1 == 0,
            "BAR0 \(hex(bar0.size)) bytes flags \(hex(bar0.flags)), expected 16 KiB memory")
        if f.function.deviceID == NVMe.instanceStoreDeviceID {
            let bar2 = sizeBAR(f, 2)
            r.expect(
                bar2.size == 0x2000 && bar2.flags & 0x8 != 0,
                "BAR2 \(hex(bar2.size)) bytes flags \(hex(bar2.flags)), expected 8 KiB prefetchable")
        }
        r.expect(f.access.findCapability(PCIExpressCapability.capabilityID) != nil, "no PCI Express capability")
        guard let msix = f.access.findCapability(MSIXCapability.capabilityID) else {
            r.expect(false, "no MSI-X capability")
            return
        }
        let control = f.access.configRead(msix.advanced(by: MSIXCapability.MessageControl.offset), width: .word)
        let vectors = MSIXCapability.MessageControl.tableSize.extract(from: control) + 1
        r.expect(vectors >= 2, "MSI-X table of \(vectors) vectors: not one for the admin queue and one I/O queue")
    }

    /// Whether `bytes` are printable ASCII, left justified and padded with spaces (NVMe ASCII fields).
    static func isPaddedASCII(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, first != 0x20 else { return false }
        return bytes.allSatisfy { (0x20...0x7E).contains($0) }
    }

    private static func strings(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), let data = f.identify(admin, cns: 1, &r) else { return }
        let c = NVMeControllerFacts(data: data)
        for (field, bytes) in [("MN", c.modelNumber), ("SN", c.serialNumber), ("FR", c.firmwareRevision)] {
            r.expect(
                isPaddedASCII(bytes), "\(field) \(bytes.map { hex($0) }) is not left-justified printable ASCII padded with spaces"
            )
        }
        let model = data.ascii(24, 40)
        let serial = data.ascii(4, 20)
        if isEBS(f) {
            r.expect(model == ebsModel, "MN \"\(model)\", expected \"\(ebsModel)\"")
            let id = serial.dropFirst(3)
            let hexDigits = id.allSatisfy { $0.isHexDigit && !$0.isUppercase }
            r.expect(
                serial.hasPrefix("vol") && (id.count == 17 || id.count == 8) && hexDigits,
                "SN \"\(serial)\" is not vol + a volume id")
        } else {
            r.expect(model == instanceStoreModel, "MN \"\(model)\", expected \"\(instanceStoreModel)\"")
        }
    }

    private static func blockDeviceName(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard isEBS(f) else { return false }
        guard let admin = f.enable(&r), let data = f.identify(admin, cns: 1, &r) else { return true }
        let area = Array(NVMeControllerFacts(data: data).vendorSpecific.prefix(32))
        r.expect(isPaddedASCII(area), "vendor area bytes 3072-3103 \(area.prefix(8).map { hex($0) }) are not a space-padded name")
        let name = data.ascii(3072, 32)
        if let expected = f.rig.blockDeviceName {
            r.expect(name == expected, "block device name \"\(name)\", expected \"\(expected)\"")
        }
        return true
    }

    private static func statisticsPage(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r) else { return }
        let (c, page) = f.logPage(admin, 0xD0, length: 4096)
        f.expectStatus(&r, c, .success, "Get Log Page D0h")
        let expected: UInt32 = isEBS(f) ? 0x3C23_B510 : 0xEC2C_0D7E
        r.expect(page.u32(0) == expected, "log page D0h magic \(hex(page.u32(0))), expected \(hex(expected))")
        let (tail, rest) = f.logPage(admin, 0xD0, length: 64, offset: 64)
        f.expectStatus(&r, tail, .success, "Get Log Page D0h at offset 64")
        r.expect(rest.bytes == page.slice(64, 64), "log page D0h at offset 64 differs from bytes 64-127 of the whole page")
    }

    private static func firmware(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), let data = f.identify(admin, cns: 1, &r) else { return }
        let oacs = NVMeControllerFacts(data: data).optionalAdminCommands
        r.expect(oacs & 0x4 == 0, "OACS \(hex(oacs)) advertises firmware commands to the instance")
        let download = f.admin(
            AdminOpcode.firmwareImageDownload.rawValue, on: admin, prp1: f.adminData?.address() ?? 0, [10: 0, 11: 0])
        let commit = f.admin(AdminOpcode.firmwareCommit.rawValue, on: admin, [10: 1 << 3 | 1])
        r.expect(
            download.map { !$0.status.isSuccess } == true, "Firmware Image Download: \(download.map { "\($0.status)" } ?? "none")"
        )
        r.expect(commit.map { !$0.status.isSuccess } == true, "Firmware Commit: \(commit.map { "\($0.status)" } ?? "none")")
    }

    private static func structures(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), let data = f.identify(admin, cns: 1, &r) else { return }
        let c = NVMeControllerFacts(data: data)
        r.expect(c.vendorID == f.function.vendorID, "Identify VID \(hex(c.vendorID)), config space \(hex(f.function.vendorID))")
        let ssvid = config16(f, PCIType0Header.SubsystemVendorID.offset)
        r.expect(c.subsystemVendorID == ssvid, "Identify SSVID \(hex(c.subsystemVendorID)), config space \(hex(ssvid))")
        r.expect(c.namespaceCount >= 1, "NN \(c.namespaceCount)")
        guard let list = f.identify(admin, cns: 2, &r) else { return }
        let ids = (0..<1024).map { list.u32($0 * 4) }.prefix { $0 != 0 }
        r.expect(ids.first == 1 && ids.allSatisfy { $0 <= c.namespaceCount }, "active namespace list \(Array(ids.prefix(4)))")
        r.expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "active namespace list not ascending")
        guard let descriptors = f.identify(admin, cns: 3, nsid: 1, &r) else { return }
        var at = 0
        var types: [UInt8] = []
        while at + 4 <= 4096, descriptors.u8(at + 1) != 0 {
            let type = descriptors.u8(at)
            let length = Int(descriptors.u8(at + 1))
            let expected = [1: 8, 2: 16, 3: 16][Int(type)]
            r.expect(expected == nil || expected == length, "descriptor type \(type) of \(length) bytes")
            r.expect(!descriptors.slice(at + 4, length).allSatisfy { $0 == 0 }, "descriptor type \(type) is all zero")
            types.append(type)
            at += 4 + length
        }
        r.expect(!types.filter { (1...3).contains($0) }.isEmpty, "no EUI64, NGUID or UUID descriptor for namespace 1")
        r.expect(Set(types).count == types.count, "namespace descriptor types repeat: \(types)")
    }
}
