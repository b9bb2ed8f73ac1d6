/// Direction of a DMA access.
public enum DMAAccess: String, Sendable {
    /// The device reads guest memory.
    case read
    /// The device writes guest memory.
    case write
}

/// Permissions of an IOMMU mapping.
public struct DMAPermissions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The device may read.
    public static let read = DMAPermissions(rawValue: 1)
    /// The device may write.
    public static let write = DMAPermissions(rawValue: 2)
    /// Both.
    public static let readWrite: DMAPermissions = [.read, .write]

    @inlinable func allows(_ access: DMAAccess) -> Bool {
        // Raw bits, not `contains(.read)`: across modules the static members go through a
        // lazy-global accessor call on every DMA translation.
        rawValue & (access == .read ? 1 : 2) != 0
    }
}

/// Why a DMA did not happen.
public enum DMAError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No mapping covers the address.
    case unmapped(IOVA, length: UInt64)
    /// A mapping covers it but forbids this direction.
    case permission(IOVA, DMAAccess)
    /// The mapping points outside guest memory.
    case outsideGuestMemory(GuestPhysicalAddress, length: UInt64)
    /// Bus mastering is disabled in the function's Command register.
    case busMasterDisabled
    /// The memory belongs to a remote owner (``RemoteGuestMemory``) that could not supply or
    /// take the bytes.
    case remoteUnavailable(GuestPhysicalAddress, length: UInt64)

    public var description: String {
        switch self {
        case .unmapped(let a, let n): "no IOMMU mapping for \(a)+\(n)"
        case .permission(let a, let d): "mapping at \(a) forbids \(d.rawValue)"
        case .outsideGuestMemory(let a, let n): "\(a)+\(n) is outside guest memory"
        case .busMasterDisabled: "bus master disabled"
        case .remoteUnavailable(let a, let n): "\(a)+\(n) belongs to a remote owner that did not answer"
        }
    }
}

/// One recorded DMA fault.
public struct DMAFault: Sendable, Equatable, CustomStringConvertible {
    /// The function that attempted the access.
    public let function: BDF
    /// The address it used.
    public let address: IOVA
    /// Bytes it tried to move.
    public let length: UInt64
    /// Read or write.
    public let access: DMAAccess
    /// What went wrong.
    public let reason: DMAError

    public var description: String {
        "\(function) \(access.rawValue) \(address) len \(length): \(reason)"
    }
}

/// The bus-wide, bounded record of DMA faults.
public final class DMAFaultLog {
    /// Most recent faults, oldest first (at most `capacity`).
    public var faults: [DMAFault] { log.elements }
    private var log: BoundedLog<DMAFault>
    /// Faults ever recorded.
    public private(set) var total = 0
    /// How many entries are kept.
    public let capacity: Int

    /// A log keeping `capacity` faults.
    public init(capacity: Int = 1024) {
        self.capacity = max(capacity, 1)
        log = BoundedLog(capacity: capacity)
    }

    /// Records a fault.
    public func record(_ fault: DMAFault) {
        total += 1
        log.append(fault)
    }

    /// Faults of one function.
    public func faults(of function: BDF) -> [DMAFault] { faults.filter { $0.function == function } }
}

/// One function's I/O address space: IOVA ranges mapped to guest physical memory.
public final class IOMMUDomain {
    /// A mapping of `[iova, iova+size)` to `[target, target+size)`.
    public struct Mapping: Sendable, Equatable {
        /// First IOVA.
        public let iova: IOVA
        /// Bytes.
        public let size: UInt64
        /// First guest physical address.
        public let target: GuestPhysicalAddress
        /// What the device may do.
        public let permissions: DMAPermissions
    }

    /// Errors editing a domain.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// The new mapping overlaps one already present.
        case overlap(IOVA, UInt64)
        /// Zero-sized or wrapping mapping.
        case invalid(IOVA, UInt64)
        /// Unmap of an address with no mapping starting there.
        case notMapped(IOVA)
        public var description: String {
            switch self {
            case .overlap(let a, let n): "mapping \(a)+\(n) overlaps an existing mapping"
            case .invalid(let a, let n): "invalid mapping \(a)+\(n)"
            case .notMapped(let a): "nothing mapped at \(a)"
            }
        }
    }

    /// Mappings sorted by IOVA.
    @exclusivity(unchecked) public private(set) var mappings: [Mapping] = []
    /// Bumped by every map and unmap, so cached translations (``DMAPort``'s IOTLB) know to refill.
    @exclusivity(unchecked) public private(set) var generation: UInt64 = 0

    /// An empty domain: every DMA faults.
    public init() {}

    /// Maps `size` bytes at `iova` to `target`.
    public func map(_ iova: IOVA, size: UInt64, to target: GuestPhysicalAddress, permissions: DMAPermissions) throws(Error) {
        guard size > 0, iova.value <= UInt64.max - (size - 1) else { throw .invalid(iova, size) }
        let index = insertionIndex(iova.value)
        if index > 0 {
            let prev = mappings[index - 1]
            if prev.iova.value + (prev.size - 1) >= iova.value { throw .overlap(iova, size) }
        }
        if index < mappings.count, mappings[index].iova.value <= iova.value + (size - 1) {
            throw .overlap(iova, size)
        }
        mappings.insert(Mapping(iova: iova, size: size, target: target, permissions: permissions), at: index)
        generation &+= 1
    }

    /// Removes the mapping that starts at `iova`.
    public func unmap(_ iova: IOVA) throws(Error) {
        guard let i = mappings.firstIndex(where: { $0.iova == iova }) else { throw .notMapped(iova) }
        mappings.remove(at: i)
        generation &+= 1
    }

    /// Removes every mapping.
    public func unmapAll() {
        mappings.removeAll()
        generation &+= 1
    }

    private func insertionIndex(_ a: UInt64) -> Int {
        var lo = 0
        var hi = mappings.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if mappings[mid].iova.value <= a { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Translates an access that must lie inside one mapping.
    public func translate(_ iova: IOVA, length: UInt64, access: DMAAccess) -> Result<GuestPhysicalAddress, DMAError> {
        guard let m = mapping(containing: iova.value) else { return .failure(.unmapped(iova, length: length)) }
        let offset = iova.value - m.iova.value
        guard length <= m.size, offset <= m.size - length else { return .failure(.unmapped(iova, length: length)) }
        guard m.permissions.allows(access) else { return .failure(.permission(iova, access)) }
        return .success(m.target.advanced(by: offset))
    }

    /// The mapping containing `address`.
    func mapping(containing address: UInt64) -> Mapping? {
        let i = insertionIndex(address)
        guard i > 0 else { return nil }
        let m = mappings[i - 1]
        return address - m.iova.value < m.size ? m : nil
    }
}
