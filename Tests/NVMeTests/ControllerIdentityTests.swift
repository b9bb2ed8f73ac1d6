import Testing

@testable import NVMe

/// The identity a controller derives once equals what deriving it from the configuration on
/// every Identify gave.
@Suite("Controller identity")
struct ControllerIdentityTests {
    /// FNV-1a of salt, serial number and model number, 8 big-endian bytes (as Identify defines them).
    static func reference(_ salt: UInt8, _ c: NVMeControllerConfiguration) -> [UInt8] {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in [salt] + Array(c.serialNumber.utf8) + Array(c.modelNumber.utf8) {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
        }
        return (0..<8).map { UInt8(truncatingIfNeeded: h >> (56 - 8 * $0)) }
    }

    @Test("serial, model, NQN and namespace identifiers for EBS and instance-store configurations")
    func identityMatchesTheConfiguration() {
        let configurations = [
            NVMeControllerConfiguration(kind: .ebs(volumeID: "vol-0123456789abcdef0", blockDeviceName: "/dev/sdf")),
            NVMeControllerConfiguration(kind: .ebs(volumeID: "vol-0f02200000000001", blockDeviceName: "/dev/xvda")),
            NVMeControllerConfiguration(kind: .instanceStore(serial: "AWS1234567890ABCDEF")),
            NVMeControllerConfiguration(kind: .instanceStore(serial: "AWSFUZZ0000000000001")),
        ]
        var seen = Set<[UInt8]>()
        for c in configurations {
            let id = ControllerIdentity(c)
            #expect(id.serialNumber == c.serialNumber)
            #expect(id.modelNumber == c.modelNumber)
            let sn = c.serialNumber.padding(toLength: 20, withPad: " ", startingAt: 0)
            let mn = c.modelNumber.padding(toLength: 40, withPad: " ", startingAt: 0)
            #expect(id.subsystemNQN == "nqn.2014.08.org.nvmexpress:1d0f1d0f" + sn + mn)
            #expect(id.extendedUniqueIdentifier == Self.reference(0x45, c))
            #expect(id.namespaceGUID == Self.reference(0x4E, c) + Self.reference(0x47, c))
            var uuid = Self.reference(0x55, c) + Self.reference(0x49, c)
            uuid[6] = uuid[6] & 0x0F | 0x40
            uuid[8] = uuid[8] & 0x3F | 0x80
            #expect(id.namespaceUUID == uuid)
            seen.insert(id.namespaceUUID)
        }
        #expect(seen.count == configurations.count)
    }
}
