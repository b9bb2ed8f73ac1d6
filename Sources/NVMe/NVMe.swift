// Public API contract of the NVMe module (the model work replaces this comment block with the
// implementation; the driver, conformance, host profile and bench code against it):
//
// public enum NVMe {
//     public static let vendorID: UInt16 = 0x1d0f
//     public static let ebsDeviceID: UInt16 = 0x8061
//     public static let instanceStoreDeviceID: UInt16 = 0xcd01
//     public static let classCode: UInt32 = 0x010802
//     public static let registerBAR = BARIndex(clamping: 0)      // 16 KiB
//     /// Builds a controller function ready to attach to a PCIBus.
//     public static func makeController(at bdf: BDF, services: PlatformServices,
//                                       configuration: NVMeControllerConfiguration) throws -> PCIFunction
// }
//
// public struct NVMeControllerConfiguration: Sendable {
//     public enum Kind: Sendable { case ebs(volumeID: String, blockDeviceName: String), instanceStore(serial: String) }
//     public enum Backing: Sendable { case memory, file(path: String) }
//     public var kind: Kind
//     public var capacityBytes: UInt64
//     public var blockSize: Int                 // 512 or 4096 (LBA formats 0 and 1 both offered)
//     public var backing: Backing
//     public var encrypted: Bool                // instance storage: always true; EBS: configurable (bench compares)
//     public var ioQueuePairs: Int              // queues the controller grants via Number of Queues
//     public var maximumTransferPages: Int      // MDTS as a power of two of pages (e.g. 5 = 128 KiB at 4 KiB pages)
//     public init(kind:capacityBytes:blockSize:backing:encrypted:ioQueuePairs:...)  // sensible defaults
// }
//
// The controller model object (reachable from the PCIFunction's model, e.g. `function.model as? NVMeController`)
// exposes for the host profile (not for guests): `cryptoErase()` (instance stop/terminate), `keyGeneration`,
// per-controller counters, and `@_spi(KeyInjection)` hooks for tests only.
