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

    // One-entry IOTLB: an IOVA range that lies inside one mapping and one guest memory region,
    // its host base and the mapping's permissions, valid while the domain's generation holds.
    @exclusivity(unchecked) private var cachedGeneration = UInt64.max
    @exclusivity(unchecked) private var cachedBase: UInt64 = 0
    @exclusivity(unchecked) private var cachedSize: UInt64 = 0
    @exclusivity(unchecked) private var cachedHost: UnsafeMutableRawPointer?
    @exclusivity(unchecked) private var cachedPermissions = DMAPermissions()

    /// Creates a port.
    public init(function: BDF, domain: IOMMUDomain, memory: GuestMemory, faults: DMAFaultLog) {
        self.function = function
        self.domain = domain
        self.memory = memory
        self.faults = faults
    }

    /// Host pointer for a checked access of `length` bytes at `address`; records a fault on error.
    ///
    /// The whole range must lie inside one IOMMU mapping and one guest memory region; a range
    /// that spans two mappings faults as unmapped (devices split such transfers themselves).
    public func hostPointer(_ address: IOVA, length: UInt64, access: DMAAccess) throws(DMAError) -> UnsafeMutableRawPointer {
        guard busMasterEnabled else { throw fault(address, length, access, .busMasterDisabled) }
        let offset = address.value &- cachedBase
        if cachedGeneration == domain.generation, let host = cachedHost, offset < cachedSize, length <= cachedSize - offset,
            cachedPermissions.allows(access)
        {
            return host + Int(offset)
        }
        return try translateAndCache(address, length: length, access: access)
    }

    /// The IOTLB miss path: full translation, then the cache covers the mapping's overlap with
    /// the guest memory region it landed in.
    private func translateAndCache(_ address: IOVA, length: UInt64, access: DMAAccess) throws(DMAError)
        -> UnsafeMutableRawPointer
    {
        let gpa: GuestPhysicalAddress
        switch domain.translate(address, length: length, access: access) {
        case .success(let g): gpa = g
        case .failure(let e): throw fault(address, length, access, e)
        }
        guard let p = memory.host(gpa, length: length) else {
            throw fault(address, length, access, .outsideGuestMemory(gpa, length: length))
        }
        if let m = domain.mapping(containing: address.value), let r = memory.region(containing: gpa.value) {
            // Intersect [mapping] and [region] in IOVA terms.
            let mapStartGPA = m.target.value
            let startGPA = max(mapStartGPA, r.base.value)
            let endGPA = min(mapStartGPA &+ m.size, r.base.value &+ r.size)
            if endGPA > startGPA {
                cachedBase = m.iova.value &+ (startGPA - mapStartGPA)
                cachedSize = endGPA - startGPA
                cachedHost = r.host + Int(startGPA - r.base.value)
                cachedPermissions = m.permissions
                cachedGeneration = domain.generation
            }
        }
        return p
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
