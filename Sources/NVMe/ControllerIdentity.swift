/// What Identify reports that follows from a controller's configuration alone: the serial and
/// model numbers, the subsystem NQN and namespace 1's identifiers. Derived once per controller
/// (an EBS serial number is the volume id without its hyphen, and each identifier hashes both
/// strings); deriving them on every Identify was a tenth of a fuzz input.
struct ControllerIdentity {
    let serialNumber: String
    let modelNumber: String
    /// NVMe Base §7.9: "nqn.2014.08.org.nvmexpress:" + VID + SSVID + SN + MN for a controller
    /// without an assigned NQN.
    let subsystemNQN: String
    /// EUI-64 of namespace 1, derived from the serial number (stable across re-creation).
    let extendedUniqueIdentifier: [UInt8]
    /// NGUID of namespace 1.
    let namespaceGUID: [UInt8]
    /// UUID (version 4 layout, deterministic) of namespace 1.
    let namespaceUUID: [UInt8]

    init(_ configuration: NVMeControllerConfiguration) {
        let serial = configuration.serialNumber
        let model = configuration.modelNumber
        serialNumber = serial
        modelNumber = model
        var sn = Array(serial.utf8.prefix(20))
        sn += [UInt8](repeating: 0x20, count: 20 - sn.count)
        var mn = Array(model.utf8.prefix(40))
        mn += [UInt8](repeating: 0x20, count: 40 - mn.count)
        let vid = String(NVMe.vendorID, radix: 16)
        subsystemNQN = "nqn.2014.08.org.nvmexpress:" + vid + vid + String(decoding: sn + mn, as: UTF8.self)
        let hashed = Array(serial.utf8) + Array(model.utf8)
        extendedUniqueIdentifier = Array(Self.hash(0x45, hashed).prefix(8))
        namespaceGUID = Self.hash(0x4E, hashed) + Self.hash(0x47, hashed)
        var u = Self.hash(0x55, hashed) + Self.hash(0x49, hashed)
        u[6] = u[6] & 0x0F | 0x40
        u[8] = u[8] & 0x3F | 0x80
        namespaceUUID = u
    }

    /// FNV-1a of `salt` then `bytes` (serial number and model number), as 8 big-endian bytes.
    static func hash(_ salt: UInt8, _ bytes: [UInt8]) -> [UInt8] {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in [salt] + bytes {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: h >> (56 - 8 * $0)) }
    }
}
