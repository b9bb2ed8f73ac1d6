/// The only way a device touches guest memory.
///
/// Every access is checked against the function's Command register (bus master enable),
/// translated by the function's ``IOMMUDomain`` and bounds checked against guest memory. A
/// failure is returned as a ``DMAError`` and recorded in the bus's ``DMAFaultLog``; memory outside
/// the mapping is never touched.
public final class DMAPort {
    /// The function this port belongs to (updated if the function moves, e.g. ARI changes).
    public internal(set) var function: BDF
    /// The function's address space.
    public let domain: IOMMUDomain
    /// Guest memory behind the domain.
    public let memory: GuestMemory
    /// Where faults go.
    public let faults: DMAFaultLog
    /// Mirrors Command.BusMasterEnable; set by the platform.
    @exclusivity(unchecked) public internal(set) var busMasterEnabled = false

    // A small IOTLB: IOVA ranges that each lie inside one mapping and one guest memory region,
    // with their host base and the mapping's permissions, valid while the domain's and guest
    // memory's generations hold (an unmap or a removed region drops every entry, so no entry
    // can point at freed memory). Four entries cover a queue's descriptor ring and buffers in
    // both directions.
    @exclusivity(unchecked) @usableFromInline var cachedStamp = DMATranslationStamp.never
    @exclusivity(unchecked) var nextVictim = 0
    @usableFromInline let iotlb = UnsafeMutablePointer<IOTLBEntry>.allocate(capacity: DMAPort.iotlbEntries)

    /// Entries in the port's IOTLB.
    @usableFromInline static let iotlbEntries = 4

    /// Creates a port.
    public init(function: BDF, domain: IOMMUDomain, memory: GuestMemory, faults: DMAFaultLog) {
        self.function = function
        self.domain = domain
        self.memory = memory
        self.faults = faults
        iotlb.initialize(repeating: IOTLBEntry(), count: Self.iotlbEntries)
    }

    deinit { iotlb.deallocate() }

    /// Host pointer for a checked access of `length` bytes at `address`; records a fault on error.
    ///
    /// The whole range must lie inside one IOMMU mapping and one guest memory region; a range
    /// that spans two mappings faults as unmapped (devices split such transfers themselves).
    @inlinable @inline(__always)
    public func hostPointer(_ address: IOVA, length: UInt64, access: DMAAccess) throws(DMAError) -> UnsafeMutableRawPointer {
        if let e = cachedEntry(address, length: length, access: access), let host = e.host {
            return host + Int(address.value &- e.base)
        }
        return try translateAndCache(address, length: length, access: access)
    }

    /// The IOTLB entry that holds all of `[address, address+length)` and allows `access`, while
    /// bus mastering is on and the domain's mappings are those the IOTLB was filled under.
    @inlinable @inline(__always)
    func cachedEntry(_ address: IOVA, length: UInt64, access: DMAAccess) -> IOTLBEntry? {
        guard busMasterEnabled, cachedStamp == translationStamp else { return nil }
        for i in 0..<Self.iotlbEntries {
            let e = iotlb[i]
            let offset = address.value &- e.base
            if offset < e.size, length <= e.size - offset, e.permissions.allows(access), e.host != nil { return e }
        }
        return nil
    }

    /// The IOTLB miss path: full translation, then one entry covers the mapping's overlap with
    /// the guest memory region it landed in. Memory with a remote owner is staged through it
    /// on every access and never cached.
    @usableFromInline func translateAndCache(_ address: IOVA, length: UInt64, access: DMAAccess) throws(DMAError)
        -> UnsafeMutableRawPointer
    {
        guard busMasterEnabled else { throw fault(address, length, access, .busMasterDisabled) }
        let gpa: GuestPhysicalAddress
        switch domain.translate(address, length: length, access: access) {
        case .success(let g): gpa = g
        case .failure(let e): throw fault(address, length, access, e)
        }
        guard let p = memory.host(gpa, length: length) else {
            switch memory.stagedHost(gpa, length: length, access: access) {
            case .success(let staged): return staged
            case .failure(let e): throw fault(address, length, access, e)
            case nil: throw fault(address, length, access, .outsideGuestMemory(gpa, length: length))
            }
        }
        if let entry = coverage(of: address, at: gpa) { cache(entry) }
        return p
    }

    /// The IOTLB entry for a translated address: the overlap, in IOVA terms, of the mapping that
    /// holds `address` and the guest memory region that holds its translation `gpa`.
    func coverage(of address: IOVA, at gpa: GuestPhysicalAddress) -> IOTLBEntry? {
        guard let m = domain.mapping(containing: address.value), let r = memory.region(containing: gpa.value), r.remote == nil
        else { return nil }
        let mapStartGPA = m.target.value
        let startGPA = max(mapStartGPA, r.base.value)
        let endGPA = min(mapStartGPA &+ m.size, r.base.value &+ r.size)
        guard endGPA > startGPA else { return nil }
        return IOTLBEntry(
            base: m.iova.value &+ (startGPA - mapStartGPA), size: endGPA - startGPA,
            host: r.host + Int(startGPA - r.base.value), permissions: m.permissions)
    }

    /// Puts `entry` in the IOTLB (round-robin victim), first dropping every entry taken under
    /// other domain mappings or guest memory regions.
    func cache(_ entry: IOTLBEntry) {
        let stamp = translationStamp
        if cachedStamp != stamp {
            for i in 0..<Self.iotlbEntries { iotlb[i] = IOTLBEntry() }
            cachedStamp = stamp
        }
        iotlb[nextVictim] = entry
        nextVictim = (nextVictim + 1) & (Self.iotlbEntries - 1)
    }

    /// Copies guest memory at `address` into `buffer`.
    public func read(_ address: IOVA, into buffer: UnsafeMutableRawBufferPointer) throws(DMAError) {
        guard let dst = buffer.baseAddress, buffer.count > 0 else { return }
        let src = try hostPointer(address, length: UInt64(buffer.count), access: .read)
        dst.copyMemory(from: src, byteCount: buffer.count)
    }

    /// Copies `buffer` into guest memory at `address`.
    public func write(_ address: IOVA, from buffer: UnsafeRawBufferPointer) throws(DMAError) {
        guard let src = buffer.baseAddress, buffer.count > 0 else { return }
        let dst = try hostPointer(address, length: UInt64(buffer.count), access: .write)
        dst.copyMemory(from: src, byteCount: buffer.count)
    }

    /// Reads a little-endian integer.
    public func load<T: FixedWidthInteger>(_ type: T.Type, from address: IOVA) throws(DMAError) -> T {
        let p = try hostPointer(address, length: UInt64(MemoryLayout<T>.size), access: .read)
        return T(littleEndian: p.loadUnaligned(as: T.self))
    }

    /// Writes a little-endian integer.
    public func store<T: FixedWidthInteger>(_ value: T, to address: IOVA) throws(DMAError) {
        let p = try hostPointer(address, length: UInt64(MemoryLayout<T>.size), access: .write)
        p.storeBytes(of: value.littleEndian, as: T.self)
    }

    /// Copies `length` bytes from `source` to `destination`, both device addresses (a DMA engine
    /// reading then writing). Both sides are checked before any byte moves.
    public func copy(from source: IOVA, to destination: IOVA, length: UInt64) throws(DMAError) {
        guard length > 0 else { return }
        let src = try hostPointer(source, length: length, access: .read)
        let dst = try hostPointer(destination, length: length, access: .write)
        dst.copyMemory(from: src, byteCount: Int(length))
    }

    private func fault(_ a: IOVA, _ n: UInt64, _ access: DMAAccess, _ e: DMAError) -> DMAError {
        faults.record(DMAFault(function: function, address: a, length: n, access: access, reason: e))
        return e
    }
}

/// One IOTLB entry of a ``DMAPort``: `size` bytes of IOVA space from `base` at `host`.
@usableFromInline struct IOTLBEntry {
    @usableFromInline var base: UInt64 = 0
    @usableFromInline var size: UInt64 = 0
    @usableFromInline var host: UnsafeMutableRawPointer?
    @usableFromInline var permissions = DMAPermissions()

    @usableFromInline init() {}

    @usableFromInline init(base: UInt64, size: UInt64, host: UnsafeMutableRawPointer, permissions: DMAPermissions) {
        self.base = base
        self.size = size
        self.host = host
        self.permissions = permissions
    }
}
