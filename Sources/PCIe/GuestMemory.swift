#if canImport(Glibc)
    import Glibc
#endif

/// One contiguous piece of guest physical memory with host backing.
///
/// The backing is a raw pointer the region does not interpret: memory the bench allocated, or
/// memory another process shares (an out-of-process client maps it and hands the pointer over
/// together with a `release` action).
public final class GuestMemoryRegion {
    /// First guest physical address.
    public let base: GuestPhysicalAddress
    /// Size in bytes.
    public let size: UInt64
    /// Host view of the first byte. For a region with a ``remote`` owner this is a staging
    /// copy that only holds what the owner staged into it.
    public let host: UnsafeMutableRawPointer
    /// For memory the bench cannot map (a vfio-user client's window sent without a descriptor):
    /// the owner that copies bytes in and out on request. DMA to such a region never enters a
    /// port's IOTLB; every access is staged through the owner.
    public let remote: (any RemoteGuestMemory)?
    private let release: (() -> Void)?

    /// Wraps existing host memory; `release` runs when the region goes away.
    public init(
        base: GuestPhysicalAddress, size: UInt64, host: UnsafeMutableRawPointer, release: (() -> Void)?,
        remote: (any RemoteGuestMemory)? = nil
    ) {
        self.base = base
        self.size = size
        self.host = host
        self.release = release
        self.remote = remote
    }

    /// Allocates zeroed host memory (page aligned) owned by the region.
    /// Medium sizes come from ``ZeroFillMemory`` (zeroed by the kernel, pages an owner never
    /// touched are never cleared).
    public convenience init(base: GuestPhysicalAddress, allocating size: Int) {
        let bytes = max(size, 1)
        if let p = ZeroFillMemory.allocate(byteCount: bytes) {
            self.init(base: base, size: UInt64(size), host: p, release: { ZeroFillMemory.release(p, byteCount: bytes) })
            return
        }
        let huge = bytes >= Self.hugePageSize
        if huge, !ZeroFillMemory.underAddressSanitizer, let p = AnonymousMapping.map(byteCount: bytes, hugePages: true) {
            self.init(base: base, size: UInt64(size), host: p, release: { AnonymousMapping.unmap(p, byteCount: bytes) })
            return
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: huge ? Self.hugePageSize : 4096)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        self.init(base: base, size: UInt64(size), host: p, release: { p.deallocate() })
    }

    deinit { release?() }

    /// Regions this large or larger are mapped 2 MiB aligned and asked to be backed by
    /// transparent huge pages, as hypervisors back guest RAM (``AnonymousMapping``: zeroed by
    /// the kernel as they are touched, not by a `memset` of the whole region). Under
    /// AddressSanitizer they come from `malloc`, whose redzones catch a write past the end.
    static let hugePageSize = AnonymousMapping.hugePageSize

    /// Whether `[address, address+length)` lies inside the region.
    @inlinable public func contains(_ address: UInt64, length: UInt64) -> Bool {
        address >= base.value && length <= size && address - base.value <= size - length
    }
}

/// Guest physical memory: non-overlapping regions looked up by address.
public final class GuestMemory {
    /// Errors adding regions.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// The new region overlaps an existing one.
        case overlap(GuestPhysicalAddress, UInt64)
        public var description: String {
            switch self {
            case .overlap(let a, let size): "region at \(a) of \(size) bytes overlaps an existing region"
            }
        }
    }

    /// Regions sorted by base.
    @exclusivity(unchecked) public private(set) var regions: [GuestMemoryRegion] = []
    /// Bumped by every ``remove(_:)``, so translations that hold host pointers into regions
    /// (``DMAPort``'s IOTLB, a device's ``DMAWindow``) know to drop them. Adding a region changes
    /// no existing translation and leaves it as it is.
    @exclusivity(unchecked) public private(set) var generation: UInt64 = 0
    private var nextFree: UInt64

    /// Empty guest memory; `allocate` hands out addresses from `allocationBase` upwards.
    public init(allocationBase: GuestPhysicalAddress = GuestPhysicalAddress(0x1_0000_0000)) {
        nextFree = allocationBase.value
    }

    /// Adds a region. Fails if it overlaps another.
    public func add(_ region: GuestMemoryRegion) throws(Error) {
        for r in regions where region.base.value < r.base.value &+ r.size && r.base.value < region.base.value &+ region.size {
            throw .overlap(region.base, region.size)
        }
        regions.append(region)
        regions.sort { $0.base < $1.base }
        if region.base.value &+ region.size > nextFree { nextFree = region.base.value &+ region.size }
    }

    /// Allocates a fresh zeroed region of at least `size` bytes, page aligned, above all others.
    public func allocate(_ size: Int) -> GuestMemoryRegion {
        append { base in GuestMemoryRegion(base: base, allocating: (size + 4095) & ~4095) }
    }

    /// Places host memory another party owns (a vfio-user client's shared guest RAM, or the
    /// staging copy of memory only `remote` can reach) at a fresh, page-aligned address above
    /// all others and returns the region; `release` runs when it is removed and the last
    /// reference goes.
    public func adopt(
        size: UInt64, host: UnsafeMutableRawPointer, release: (() -> Void)?, remote: (any RemoteGuestMemory)? = nil
    ) -> GuestMemoryRegion {
        append { base in GuestMemoryRegion(base: base, size: size, host: host, release: release, remote: remote) }
    }

    /// Makes a region at the first page-aligned address above all others and appends it (it
    /// sorts last); the next one starts at the page after its end.
    private func append(_ make: (GuestPhysicalAddress) -> GuestMemoryRegion) -> GuestMemoryRegion {
        let base = (nextFree &+ 4095) & ~4095
        let region = make(GuestPhysicalAddress(base))
        regions.append(region)
        nextFree = base &+ ((region.size &+ 4095) & ~4095)
        return region
    }

    /// Removes `region` (by identity) and bumps ``generation``. Returns whether it was there. Its
    /// address range is not handed out again, so a stale IOVA mapping can never reach different
    /// memory, and every cached translation into it is dropped before the next DMA.
    @discardableResult
    public func remove(_ region: GuestMemoryRegion) -> Bool {
        guard let i = regions.firstIndex(where: { $0 === region }) else { return false }
        regions.remove(at: i)
        generation &+= 1
        return true
    }

    /// The region holding `address`, if any.
    func region(containing address: UInt64) -> GuestMemoryRegion? {
        guard let r = lastRegion(startingAtOrBelow: address), address - r.base.value < r.size else { return nil }
        return r
    }

    /// Host pointer for `[address, address+length)` if one region holds all of it and the bench
    /// maps that region (nil for a region with a ``GuestMemoryRegion/remote`` owner).
    public func host(_ address: GuestPhysicalAddress, length: UInt64) -> UnsafeMutableRawPointer? {
        let a = address.value
        guard let r = lastRegion(startingAtOrBelow: a), r.contains(a, length: length), r.remote == nil else { return nil }
        return r.host + Int(a - r.base.value)
    }

    /// Host pointer for `[address, address+length)` in a region with a remote owner, after the
    /// owner staged it for `access`: nil when no such region holds all of it, else the pointer
    /// or the owner's failure.
    func stagedHost(_ address: GuestPhysicalAddress, length: UInt64, access: DMAAccess) -> Result<
        UnsafeMutableRawPointer, DMAError
    >? {
        let a = address.value
        guard let r = lastRegion(startingAtOrBelow: a), r.contains(a, length: length), let remote = r.remote else {
            return nil
        }
        guard remote.stage(offset: a - r.base.value, length: length, access: access) else {
            return .failure(.remoteUnavailable(address, length: length))
        }
        return .success(r.host + Int(a - r.base.value))
    }

    /// Binary search: the region with the highest base not above `address`.
    @inline(__always) private func lastRegion(startingAtOrBelow address: UInt64) -> GuestMemoryRegion? {
        var lo = 0
        var hi = regions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if regions[mid].base.value <= address { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 ? regions[lo - 1] : nil
    }
}

/// The owner of guest memory the bench cannot map: it copies the owner's bytes into the
/// region's staging copy before a device touches them and writes back what a device wrote.
///
/// A device's pointer into staged memory is good until the function signals an interrupt or
/// the current event (a guest access, a timer, a frame from the wire) ends: the owner writes
/// back staged writes at both points, so data always lands before the interrupt that announces
/// it. Devices already drop their pointers at those points (see ``DMAWindow``).
public protocol RemoteGuestMemory: AnyObject {
    /// Makes bytes `[offset, offset+length)` of the region's staging copy hold the owner's
    /// current contents and, for `.write`, remembers to write them back. Returns false when the
    /// owner cannot be reached; the access then faults.
    func stage(offset: UInt64, length: UInt64, access: DMAAccess) -> Bool
}
