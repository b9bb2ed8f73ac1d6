/// DMA-able memory a driver allocated: the CPU view and the address the device uses.
public struct DMABuffer {
    /// The guest CPU's view of the buffer.
    public let host: UnsafeMutableRawBufferPointer
    /// The address to program into the device.
    public let deviceAddress: IOVA

    /// A buffer for a ``DeviceAccess`` implemented outside this module (a vfio-user client's
    /// guest RAM, say): `host` is the CPU view, `deviceAddress` what the device is given.
    public init(host: UnsafeMutableRawBufferPointer, deviceAddress: IOVA) {
        self.host = host
        self.deviceAddress = deviceAddress
    }

    /// Size in bytes.
    public var count: Int { host.count }
    /// Device address of byte `offset`.
    public func deviceAddress(at offset: Int) -> IOVA { deviceAddress.advanced(by: UInt64(offset)) }
}

/// Why a driver could not get DMA memory.
public enum DMAAllocationError: Error, Equatable, CustomStringConvertible {
    /// The IOMMU refused the mapping.
    case mapping(String)
    /// Zero or negative size.
    case invalidSize(Int)
    public var description: String {
        switch self {
        case .mapping(let s): "IOMMU mapping failed: \(s)"
        case .invalidSize(let n): "invalid DMA allocation size \(n)"
        }
    }
}

/// Everything a driver may do to its device, and nothing more.
///
/// A driver written against this protocol never sees device models; on the bench the
/// implementation routes through the virtual bus, and the same driver could sit on real hardware
/// (VFIO) behind another implementation.
public protocol DeviceAccess: AnyObject {
    /// The function driven.
    var bdf: BDF { get }
    /// Reads config space.
    func configRead(_ offset: ConfigOffset, width: AccessWidth) -> UInt32
    /// Writes config space.
    func configWrite(_ offset: ConfigOffset, width: AccessWidth, value: UInt32)
    /// Reads `width` bytes at `offset` of BAR `bar` (MMIO).
    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64
    /// Writes `width` bytes at `offset` of BAR `bar` (MMIO).
    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64)
    /// Writes `bytes` at `offset` of BAR `bar` as one write-combined burst (a block copy into a
    /// BAR mapped write-combining). The default makes the naturally aligned writes one by one.
    func barWriteCombined(_ bar: BARIndex, offset: UInt64, bytes: UnsafeRawBufferPointer)
    /// Allocates zeroed DMA memory the device may read and write.
    func allocateDMA(_ size: Int) throws(DMAAllocationError) -> DMABuffer
    /// Waits (in virtual time) for MSI-X `vector`; returns false on timeout.
    func waitForInterrupt(vector: Int, timeout: VirtualDuration) -> Bool
    /// The shared virtual clock.
    var clock: VirtualClock { get }
}

extension DeviceAccess {
    /// Reads a 32-bit BAR register.
    @inlinable public func read32(_ bar: BARIndex, _ offset: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: barRead(bar, offset: offset, width: .dword))
    }
    /// Writes a 32-bit BAR register.
    @inlinable public func write32(_ bar: BARIndex, _ offset: UInt64, _ value: UInt32) {
        barWrite(bar, offset: offset, width: .dword, value: UInt64(value))
    }
    /// Reads a 64-bit BAR register.
    @inlinable public func read64(_ bar: BARIndex, _ offset: UInt64) -> UInt64 { barRead(bar, offset: offset, width: .qword) }
    /// Writes a 64-bit BAR register.
    @inlinable public func write64(_ bar: BARIndex, _ offset: UInt64, _ value: UInt64) {
        barWrite(bar, offset: offset, width: .qword, value: value)
    }
    /// Reads a 16-bit config register.
    public func configRead16(_ offset: ConfigOffset) -> UInt16 { UInt16(truncatingIfNeeded: configRead(offset, width: .word)) }
    /// Sleeps in virtual time (timers that fall due fire).
    public func sleep(_ duration: VirtualDuration) { clock.advance(by: duration) }
}

/// ``DeviceAccess`` over the virtual bus: config by BDF, MMIO by the BAR's assigned address (so
/// every access goes through the bus's address routing), DMA memory from guest memory mapped
/// into the function's IOMMU domain.
public final class BusDeviceAccess: DeviceAccess {
    /// The bus.
    public let bus: PCIBus
    /// The function driven.
    public let bdf: BDF
    /// BAR addresses, inline in the object (an array would put one more cache line, its buffer,
    /// between every MMIO access and its route).
    @exclusivity(unchecked) private var barBases: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    /// The window this function's last MMIO access reached (a driver's accesses mostly go to one BAR).
    @exclusivity(unchecked) private var route = PCIBus.MMIORouteMemo()
    private let function: PCIFunction?
    private var nextIOVA: UInt64 = 0

    /// Binds to the function at `bdf` and reads its BAR addresses.
    public init(bus: PCIBus, bdf: BDF) {
        self.bus = bus
        self.bdf = bdf
        self.function = bus.function(at: bdf)
        refreshBARs()
    }

    /// Re-reads BAR addresses (after the OS reassigns them).
    public func refreshBARs() {
        let a = (0..<6).map { function?.barAddress($0) ?? 0 }
        barBases = (a[0], a[1], a[2], a[3], a[4], a[5])
    }

    /// The address of `bar` (a ``BARIndex`` is 0...5, inside the tuple).
    @inline(__always) private func barBase(_ bar: BARIndex) -> UInt64 {
        withUnsafeBytes(of: &barBases) { $0.load(fromByteOffset: bar.value &* 8, as: UInt64.self) }
    }

    public var clock: VirtualClock { bus.services.clock }

    public func configRead(_ offset: ConfigOffset, width: AccessWidth) -> UInt32 { bus.configRead(bdf, offset, width: width) }

    public func configWrite(_ offset: ConfigOffset, width: AccessWidth, value: UInt32) {
        bus.configWrite(bdf, offset, width: width, value: value)
        if offset.value >= 0x10, offset.value < 0x28 { refreshBARs() }
    }

    public func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        bus.mmioRead(BusAddress(barBase(bar) &+ offset), width: width, memo: &route)
    }

    public func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        bus.mmioWrite(BusAddress(barBase(bar) &+ offset), width: width, value: value, memo: &route)
    }

    public func barWriteCombined(_ bar: BARIndex, offset: UInt64, bytes: UnsafeRawBufferPointer) {
        bus.mmioWriteCombined(BusAddress(barBase(bar) &+ offset), bytes: bytes, memo: &route)
    }

    public func allocateDMA(_ size: Int) throws(DMAAllocationError) -> DMABuffer {
        guard size > 0, size <= 1 << 40 else { throw .invalidSize(size) }
        let region = bus.services.memory.allocate(size)
        // Identity IOVA = GPA keeps traces readable; the IOMMU still checks every access.
        let iova = IOVA(region.base.value)
        do {
            try function?.dma.domain.map(iova, size: region.size, to: region.base, permissions: .readWrite)
        } catch {
            throw .mapping(error.description)
        }
        return DMABuffer(host: UnsafeMutableRawBufferPointer(start: region.host, count: size), deviceAddress: iova)
    }

    public func waitForInterrupt(vector: Int, timeout: VirtualDuration) -> Bool {
        guard let msix = function?.msix else {
            clock.advance(by: timeout)
            return false
        }
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if msix.consume(vector) { return true }
            guard let next = clock.nextDeadline, next <= deadline else { break }
            clock.runNextTimer()
        }
        clock.advance(to: deadline)
        return msix.consume(vector)
    }
}

extension PCIBus {
    /// A driver's view of the function at `bdf`.
    public func access(_ bdf: BDF) -> BusDeviceAccess { BusDeviceAccess(bus: self, bdf: bdf) }
}
