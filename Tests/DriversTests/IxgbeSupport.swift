import Drivers
import Intel82599
import Network
import PCIe
import TestSupport
import Testing

typealias PFDriver = IxgbePFDriver<BusDeviceAccess>
typealias VFDriver = IxgbeVFDriver<BusDeviceAccess>

/// An 82599 PF at 00:01.0 with its port cabled to a recorder, enumerated by firmware, brought up
/// by the PF driver with `vfCount` VFs, the PF's own queues and the mailbox service running,
/// and (optionally) every VF driver started.
final class IxgbeBench {
    let bus = PCIBus()
    let pfAddress = BDF(bus: 0, device: 1, function: 0)
    let wire = Wire()
    let recorder = FrameRecorder()
    let pf: PFDriver
    let policy: IxgbeVFPolicy
    var vfs: [VFDriver] = []

    init(
        vfCount: Int = 4, policy: IxgbeVFPolicy? = nil, startVFs: Bool = true,
        configuration: (Int) -> VFDriver.Configuration = { _ in VFDriver.Configuration(ringSize: 64) }
    ) throws {
        try bus.attach(Intel82599.makePhysicalFunction(at: pfAddress, services: bus.services, wire: wire))
        wire.addFarEnd(recorder)
        Firmware(bus: bus).enumerateAndAssign()
        pf = try PFDriver(access: bus.access(pfAddress))
        try pf.reset()
        let policy = policy ?? IxgbeVFPolicy.sequentialMACs(count: vfCount)
        self.policy = policy
        try pf.enableSRIOV(vfCount: vfCount, policy: policy)
        try pf.initialize(rxQueues: 1, txQueues: 1, ringSize: 64)
        #expect(pf.waitForLink(timeout: .milliseconds(100)))
        pf.startMailboxService()
        for (i, bdf) in pf.vfAddresses.enumerated() {
            vfs.append(try VFDriver(access: bus.access(bdf), configuration: configuration(i)))
        }
        if startVFs { for vf in vfs { try vf.start() } }
    }

    /// The device model (for its drop counters).
    var device: Intel82599Device? { bus.function(at: pfAddress)?.model as? Intel82599Device }
    /// The model's drop and error counters.
    var counters: Intel82599Counters {
        get throws { try #require(device).counters }
    }
    /// Guest errors recorded so far, as text.
    var guestErrors: [String] { bus.services.guestErrors.entries.map(\.description) }
    /// MAC address the policy assigned to VF `i`.
    func mac(_ i: Int) -> MACAddress { policy[i].macAddress ?? MACAddress(0) }
}

/// A deterministic payload of `count` bytes.
func seededPayload(_ count: Int, seed: UInt64) -> [UInt8] {
    var g = SplitMix64(seed: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: g.next()) }
}

/// An Ethernet frame (no FCS) with a seeded payload making it `length` bytes long.
func testFrame(from source: MACAddress, to destination: MACAddress, length: Int = 128, seed: UInt64 = 1) -> [UInt8] {
    FrameBuilder.raw(
        source: source, destination: destination, etherType: 0x88B5, payload: seededPayload(max(length - 14, 0), seed: seed))
}

extension IxgbeVFDriver {
    /// Copies `frame` into a pool buffer and queues it on queue 0; returns whether it was queued.
    @discardableResult
    func send(_ frame: [UInt8], queue: Int = 0) -> Bool {
        guard let pool, var b = pool.allocate() else { return false }
        b.length = frame.count
        frame.withUnsafeBytes { b.bytes.copyMemory(from: $0) }
        let n = withUnsafePointer(to: b) { transmitBatch(queue: queue, UnsafeBufferPointer(start: $0, count: 1)) }
        if n == 0 { pool.free(b) }
        return n == 1
    }

    /// Every buffer waiting on queue `queue` (copied out and returned to the pool).
    func drain(queue: Int = 0) -> [ReceivedBuffer] {
        var all: [ReceivedBuffer] = []
        while true {
            let batch = [PacketBuffer](unsafeUninitializedCapacity: 16) { out, n in n = receiveBatch(queue: queue, into: out) }
            if batch.isEmpty { return all }
            for b in batch {
                all.append(ReceivedBuffer(bytes: Array(b.bytes), status: b.status))
                pool?.free(b)
            }
        }
    }

    /// Whole frames waiting on queue `queue`.
    func receiveFrames(queue: Int = 0) -> [[UInt8]] { drain(queue: queue).map(\.bytes) }
}

extension IxgbePFDriver {
    /// Whole frames waiting on the PF's queue `queue`.
    func receiveFrames(queue: Int = 0) -> [[UInt8]] {
        var all: [[UInt8]] = []
        while true {
            let batch = [PacketBuffer](unsafeUninitializedCapacity: 16) { out, n in n = receiveBatch(queue: queue, into: out) }
            if batch.isEmpty { return all }
            for b in batch {
                all.append(Array(b.bytes))
                pool?.free(b)
            }
        }
    }
}

/// A received buffer copied out of the pool.
struct ReceivedBuffer: Equatable {
    let bytes: [UInt8]
    let status: UInt32
    var endOfPacket: Bool { status & AdvancedRxDescriptorStatus.endOfPacket != 0 }
    var descriptorDone: Bool { status & AdvancedRxDescriptorStatus.descriptorDone != 0 }
}
