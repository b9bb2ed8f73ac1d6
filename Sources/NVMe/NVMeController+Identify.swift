extension NVMeController {
    /// The namespace id every command that names one must use.
    static let namespaceID: UInt32 = 1
    /// The broadcast namespace id.
    static let allNamespaces: UInt32 = 0xFFFF_FFFF

    /// Identify (NVMe Base §5.15): controller, namespace, active namespace list, descriptors.
    func identify(_ e: SubmissionEntry) -> CommandResult {
        let cns = UInt8(truncatingIfNeeded: e.cdw10)
        let nsid = e.namespaceID
        switch IdentifyCNS(rawValue: cns) {
        case .controller:
            return send(identifyController(), e)
        case .namespace:
            guard nsid == Self.namespaceID else {
                return reject(.invalidNamespaceOrFormat, e, "Identify Namespace of NSID 0x\(hex(nsid))")
            }
            return send(identifyNamespace(), e)
        case .activeNamespaceList:
            guard nsid < 0xFFFF_FFFE else {
                return reject(.invalidNamespaceOrFormat, e, "active namespace list after NSID 0x\(hex(nsid))")
            }
            var page = PageBuilder(size: 4096)
            if nsid < Self.namespaceID { page.put(Self.namespaceID, at: 0) }
            return send(page.bytes, e)
        case .namespaceDescriptors:
            guard nsid == Self.namespaceID else {
                return reject(.invalidNamespaceOrFormat, e, "namespace descriptors of NSID 0x\(hex(nsid))")
            }
            return send(namespaceDescriptors(), e)
        case nil:
            return reject(.invalidField, e, "Identify CNS 0x\(hex(cns)) is not supported")
        }
    }

    /// The Identify Controller data structure (4096 bytes).
    func identifyController() -> [UInt8] {
        let c = configuration
        var p = PageBuilder(size: 4096)
        p.put(NVMe.vendorID, at: 0)
        p.put(NVMe.vendorID, at: 2)
        p.put(ascii: identity.serialNumber, at: 4, length: 20)
        p.put(ascii: identity.modelNumber, at: 24, length: 40)
        p.put(ascii: Self.firmwareRevision, at: 64, length: 8)
        p.put(UInt8(c.maximumTransferPages), at: 77)
        p.put(UInt32(0x0001_0400), at: 80)
        p.put(UInt8(1), at: 111)
        p.put(UInt16(1 << 1), at: 256)
        p.put(Self.abortLimit, at: 258)
        p.put(Self.asyncEventRequestLimit, at: 259)
        p.put(UInt8(0x03), at: 260)
        p.put(UInt8(0x04), at: 261)
        p.put(UInt8(ErrorLog.capacity - 1), at: 262)
        p.put(UInt16(343), at: 266)
        p.put(UInt16(353), at: 268)
        p.put128(c.capacityBytes, at: 280)
        p.put(UInt16(10), at: 320)
        p.put(UInt32(1 << 29 | 1 << 1 | (namespace.isEncrypted ? 1 : 0)), at: 328)
        p.put(UInt8(0x66), at: 512)
        p.put(UInt8(0x44), at: 513)
        p.put(UInt32(1), at: 516)
        p.put(UInt16(1 << 0 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 7), at: 520)
        p.put(UInt8(0x03 | (namespace.isEncrypted ? 0x04 : 0)), at: 524)
        p.put(UInt8(0x07), at: 525)
        p.put(UInt32(0x1), at: 536)
        p.put(ascii: subsystemNQN, at: 768, length: 256, pad: 0)
        p.put(UInt16(900), at: 2048)
        if c.isEBS { p.put(ascii: c.blockDeviceName, at: 3072, length: 32) }
        return p.bytes
    }

    /// The firmware revision in Identify Controller and the firmware slot log.
    static let firmwareRevision = "1.0"

    /// NVMe Base §7.9 subsystem NQN (see ``ControllerIdentity``).
    var subsystemNQN: String { identity.subsystemNQN }

    /// The Identify Namespace data structure (4096 bytes) of namespace 1.
    func identifyNamespace() -> [UInt8] {
        var p = PageBuilder(size: 4096)
        p.put(namespace.blockCount, at: 0)
        p.put(namespace.blockCount, at: 8)
        p.put(namespace.allocation.allocatedCount, at: 16)
        p.put(UInt8(0x01), at: 24)
        p.put(UInt8(Namespace.formatBlockShifts.count - 1), at: 25)
        p.put(UInt8(namespace.formatIndex), at: 26)
        p.put(UInt8(0x09), at: 33)
        p.put128(namespace.allocation.allocatedCount << UInt64(namespace.blockShift), at: 48)
        p.put(bytes: namespaceGUID, at: 104)
        p.put(bytes: extendedUniqueIdentifier, at: 120)
        for (i, shift) in Namespace.formatBlockShifts.enumerated() {
            p.put(UInt32(shift) << 16 | (shift == 12 ? 0 : 1) << 24, at: 128 + 4 * i)
        }
        return p.bytes
    }

    /// Namespace Identification Descriptors: EUI-64, NGUID and UUID, then a zero terminator.
    func namespaceDescriptors() -> [UInt8] {
        var p = PageBuilder(size: 4096)
        var at = 0
        for (type, id) in [(UInt8(1), extendedUniqueIdentifier), (2, namespaceGUID), (3, namespaceUUID)] {
            p.put(type, at: at)
            p.put(UInt8(id.count), at: at + 1)
            p.put(bytes: id, at: at + 4)
            at += 4 + id.count
        }
        return p.bytes
    }

    /// EUI-64 of namespace 1, derived from the serial number (stable across re-creation).
    var extendedUniqueIdentifier: [UInt8] { identity.extendedUniqueIdentifier }
    /// NGUID of namespace 1.
    var namespaceGUID: [UInt8] { identity.namespaceGUID }
    /// UUID (version 4 layout, deterministic) of namespace 1.
    var namespaceUUID: [UInt8] { identity.namespaceUUID }
}
