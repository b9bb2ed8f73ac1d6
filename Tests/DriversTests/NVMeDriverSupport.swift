import Glibc
import NVMe
import PCIe
import TestSupport
import Testing

@testable import Drivers

typealias NVMeTestDriver = NVMeDriver<BusDeviceAccess>

/// One Nitro-style NVMe controller at 00:02.0, enumerated by firmware and (optionally) started
/// by the reference driver.
final class NVMeBench {
    let bus = PCIBus()
    let address = BDF(bus: 0, device: 2, function: 0)
    let controllerConfiguration: NVMeControllerConfiguration
    let access: BusDeviceAccess
    let driver: NVMeTestDriver

    init(
        _ controllerConfiguration: NVMeControllerConfiguration = NVMeBench.ebs(),
        driver configuration: NVMeTestDriver.Configuration = NVMeTestDriver.Configuration(), start: Bool = true
    ) throws {
        self.controllerConfiguration = controllerConfiguration
        try bus.attach(NVMe.makeController(at: address, services: bus.services, configuration: controllerConfiguration))
        Firmware(bus: bus).enumerateAndAssign()
        access = bus.access(address)
        driver = try NVMeTestDriver(access: access, configuration: configuration)
        if start { try driver.start() }
    }

    /// An EBS volume controller (unencrypted unless asked).
    static func ebs(
        blockSize: Int = 512, capacity: UInt64 = 64 << 20, queuePairs: Int = 4, mdts: Int = 5, encrypted: Bool = false
    ) -> NVMeControllerConfiguration {
        NVMeControllerConfiguration(
            kind: .ebs(volumeID: "vol-0123456789abcdef0", blockDeviceName: "/dev/sdf"), capacityBytes: capacity,
            blockSize: blockSize, encrypted: encrypted, ioQueuePairs: queuePairs, maximumTransferPages: mdts)
    }

    /// An instance-storage controller (always encrypted).
    static func instanceStore(
        blockSize: Int = 512, capacity: UInt64 = 64 << 20, queuePairs: Int = 4, mdts: Int = 5
    ) -> NVMeControllerConfiguration {
        NVMeControllerConfiguration(
            kind: .instanceStore(serial: "AWS1234567890ABCDEF"), capacityBytes: capacity, blockSize: blockSize,
            ioQueuePairs: queuePairs, maximumTransferPages: mdts)
    }

    /// The controller model (for its counters).
    var controller: NVMeController? { bus.function(at: address)?.model as? NVMeController }
    /// Guest errors recorded so far, as text.
    var guestErrors: [String] { bus.services.guestErrors.entries.map(\.description) }

    /// Zeroed DMA memory of `size` bytes.
    func buffer(_ size: Int) throws -> DMABuffer { try access.allocateDMA(size) }

    /// The active namespace's block size.
    var blockSize: Int { driver.namespaces.first?.blockSize ?? 0 }
}

extension DMABuffer {
    /// Fills `count` bytes from `offset` with a seeded pattern; returns them.
    @discardableResult
    func fill(seed: UInt64, offset: Int = 0, count: Int? = nil) -> [UInt8] {
        let n = count ?? (self.count - offset)
        guard let base = host.baseAddress.map({ $0 + offset }) else { return [] }
        var g = SplitMix64(seed: seed)
        var i = 0
        while i + 8 <= n {
            base.storeBytes(of: g.next(), toByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < n {
            base.storeBytes(of: UInt8(truncatingIfNeeded: g.next()), toByteOffset: i, as: UInt8.self)
            i += 1
        }
        return bytes(offset: offset, count: n)
    }

    /// Sets `count` bytes from `offset` to `value`.
    func set(_ value: UInt8, offset: Int = 0, count: Int? = nil) {
        let n = count ?? (self.count - offset)
        if let base = host.baseAddress { (base + offset).initializeMemory(as: UInt8.self, repeating: value, count: n) }
    }

    /// Copies `count` bytes from `offset`.
    func bytes(offset: Int = 0, count: Int? = nil) -> [UInt8] {
        let n = count ?? (self.count - offset)
        return Array(UnsafeRawBufferPointer(rebasing: host[offset..<(offset + n)]))
    }

    /// Whether the bytes from `offset` equal `expected` (memcmp, fast enough for megabytes in debug builds).
    func holds(_ expected: [UInt8], at offset: Int = 0) -> Bool {
        guard offset >= 0, offset + expected.count <= count, let base = host.baseAddress else { return false }
        return expected.withUnsafeBytes { e in e.baseAddress.map { memcmp(base + offset, $0, e.count) == 0 } ?? true }
    }

    /// Whether `count` bytes from `offset` are all `value`.
    func isFilled(with value: UInt8, offset: Int = 0, count: Int? = nil) -> Bool {
        holds([UInt8](repeating: value, count: count ?? (self.count - offset)), at: offset)
    }
}

extension NVMeDriverError {
    /// The NVMe status of a `.command` error.
    var status: NVMeStatus? {
        if case .command(let s) = self { return s }
        return nil
    }
}

/// Runs `body` and returns the driver error it throws (nil if it throws nothing or another error).
func nvmeError(_ body: () throws -> Void) -> NVMeDriverError? {
    do {
        try body()
        return nil
    } catch {
        return error as? NVMeDriverError
    }
}
