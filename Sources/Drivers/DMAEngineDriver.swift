import DMAEngine
import PCIe
import RegisterModel

/// Errors the DMA engine driver reports.
public enum DMAEngineDriverError: Error, Equatable, CustomStringConvertible {
    /// The ID register did not hold the engine's magic.
    case notFound(id: UInt32)
    /// DMA memory could not be allocated.
    case allocation(DMAAllocationError)
    /// All descriptors are in flight.
    case ringFull
    /// The engine failed the descriptor.
    case failed(DMAEngineDescriptor.ErrorCode, index: Int)
    /// No completion within the timeout.
    case timeout(index: Int)
    /// Invalid ring size requested.
    case invalidRingSize(Int)

    public var description: String {
        switch self {
        case .notFound(let id): "no DMA engine here (ID 0x\(String(id, radix: 16)))"
        case .allocation(let e): "DMA allocation failed: \(e)"
        case .ringFull: "descriptor ring full"
        case .failed(let code, let i): "descriptor \(i) failed: \(code)"
        case .timeout(let i): "descriptor \(i) did not complete"
        case .invalidRingSize(let n): "ring size \(n) is not a power of two in 2...4096"
        }
    }
}

/// Reference driver for the DeviceBench DMA engine (PF or VF), written only against
/// ``DeviceAccess``: probe, reset, ring setup, MSI-X, submit, doorbell, completion.
public final class DMAEngineDriver<Access: DeviceAccess> {
    private typealias R = DMAEngineRegisters
    private typealias D = DMAEngineDescriptor
    /// The device.
    public let device: Access
    /// Ring entries.
    public let entries: Int
    private let ring: DMABuffer
    private var tail = 0
    private var clean = 0
    private let bar = DMAEngineDevice.registerBAR

    /// Probes and initialises the engine: ID check, bus master, soft reset, ring, MSI-X vector 0.
    public init(device: Access, ringEntries: Int = 256) throws(DMAEngineDriverError) {
        guard ringEntries >= 2, ringEntries <= 4096, ringEntries & (ringEntries - 1) == 0 else {
            throw .invalidRingSize(ringEntries)
        }
        self.device = device
        entries = ringEntries
        device.enableBusMaster()
        let id = device.read32(bar, UInt64(R.ID.offset))
        guard R.ID.magic.extract(from: id) == 0xdb01 else { throw .notFound(id: id) }
        do {
            ring = try device.allocateDMA(ringEntries * D.size)
        } catch {
            throw .allocation(error)
        }
        device.write32(bar, UInt64(R.Control.offset), UInt32(R.Control.softReset.mask))
        let base = ring.deviceAddress.value
        device.write32(bar, UInt64(R.RingBaseLow.offset), UInt32(truncatingIfNeeded: base))
        device.write32(bar, UInt64(R.RingBaseHigh.offset), UInt32(truncatingIfNeeded: base >> 32))
        device.write32(bar, UInt64(R.RingSize.offset), UInt32(ringEntries))
        device.enableMSIXVector(0, data: UInt32(device.bdf.routingID))
        device.write32(bar, UInt64(R.Control.offset), UInt32(R.Control.enable.mask | R.Control.interruptEnable.mask))
    }

    /// Descriptors posted and not yet reclaimed.
    public var inFlight: Int { (tail - clean) & (entries - 1) }

    /// Writes a copy descriptor into the ring (no doorbell). Returns its index.
    @discardableResult
    public func post(from source: IOVA, to destination: IOVA, length: UInt32, interrupt: Bool = false)
        throws(DMAEngineDriverError) -> Int
    {
        guard inFlight < entries - 1 else { throw .ringFull }
        let index = tail
        let d = ring.host.baseAddress.map { $0 + index * D.size }
        if let d {
            d.storeBytes(of: source.value.littleEndian, toByteOffset: D.sourceOffset, as: UInt64.self)
            d.storeBytes(of: destination.value.littleEndian, toByteOffset: D.destinationOffset, as: UInt64.self)
            d.storeBytes(of: length.littleEndian, toByteOffset: D.lengthOffset, as: UInt32.self)
            d.storeBytes(of: (interrupt ? D.flagRequestInterrupt : 0).littleEndian, toByteOffset: D.flagsOffset, as: UInt32.self)
            d.storeBytes(of: UInt32(0), toByteOffset: D.statusOffset, as: UInt32.self)
        }
        tail = (tail + 1) & (entries - 1)
        return index
    }

    /// Tells the engine about posted descriptors.
    public func ringDoorbell() {
        device.write32(bar, UInt64(R.RingTail.offset), UInt32(tail))
    }

    /// The write-back status word of descriptor `index`.
    public func status(of index: Int) -> UInt32 {
        guard let base = ring.host.baseAddress, index >= 0, index < entries else { return 0 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index * D.size + D.statusOffset, as: UInt32.self))
    }

    /// Reclaims completed descriptors in order; returns how many, or the first failure.
    @discardableResult
    public func reclaim() throws(DMAEngineDriverError) -> Int {
        var n = 0
        while clean != tail {
            let s = status(of: clean)
            guard s & D.statusDone != 0 else { break }
            let index = clean
            clean = (clean + 1) & (entries - 1)
            n += 1
            if s & D.statusError != 0 {
                throw .failed(D.ErrorCode(rawValue: (s >> 8) & 0xff) ?? .none, index: index)
            }
        }
        return n
    }

    /// Copies `length` bytes and waits for the completion interrupt.
    public func copy(
        from source: IOVA, to destination: IOVA, length: UInt32,
        timeout: VirtualDuration = .milliseconds(10)
    ) throws(DMAEngineDriverError) {
        let index = try post(from: source, to: destination, length: length, interrupt: true)
        ringDoorbell()
        _ = device.waitForInterrupt(vector: 0, timeout: timeout)
        acknowledgeInterrupt()
        try reclaim()
        if inFlight != 0 || status(of: index) & D.statusDone == 0 { throw .timeout(index: index) }
    }

    /// Clears the interrupt cause register.
    public func acknowledgeInterrupt() {
        device.write32(
            bar, UInt64(R.InterruptCause.offset),
            UInt32(truncatingIfNeeded: R.InterruptCause.completion.mask | R.InterruptCause.error.mask))
    }

    /// Reads a register by offset (for statistics).
    public func register(_ offset: Int) -> UInt32 { device.read32(bar, UInt64(offset)) }

    /// Payload bytes the engine reports as copied.
    public var bytesCopied: UInt64 { device.read64(bar, UInt64(R.BytesCopied.offset)) }
    /// Descriptors the engine completed.
    public var completedCount: UInt32 { register(R.CompletedCount.offset) }
    /// Descriptors the engine failed.
    public var errorCount: UInt32 { register(R.ErrorCount.offset) }
}
