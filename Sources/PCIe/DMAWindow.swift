/// A stretch of a function's IOVA space that one IOMMU mapping and one guest memory region cover,
/// with the permissions the mapping grants: a translation a device can reuse for many accesses.
///
/// A window is a snapshot. It stays right only while the port's bus mastering, its domain's
/// mappings and guest memory's regions stay as they were. A device either takes windows at the
/// start of one doorbell's work and drops them before anything outside the device can run (a
/// guest access, a wire peer, a timer), or keeps a window together with the port's
/// ``DMAPort/translationStamp`` from when it took it and uses it only while
/// ``DMAPort/holds(_:)`` says that stamp still holds. Inside that span, `pointer(_:length:)` is a
/// bounds check instead of a translation.
public struct DMAWindow {
    /// First IOVA of the window.
    public let base: UInt64
    /// Size in bytes (0: the empty window, which holds nothing).
    public let size: UInt64
    /// Host view of `base`.
    @usableFromInline let host: UnsafeMutableRawPointer?

    /// The empty window.
    public init() {
        base = 0
        size = 0
        host = nil
    }

    @usableFromInline init(_ entry: IOTLBEntry) {
        base = entry.base
        size = entry.size
        host = entry.host
    }

    /// Host pointer for `[address, address+length)` when the window holds all of it, else nil.
    @inlinable @inline(__always)
    public func pointer(_ address: UInt64, length: UInt64) -> UnsafeMutableRawPointer? {
        let offset = address &- base
        guard offset < size, length <= size &- offset, let host else { return nil }
        return host + Int(offset)
    }
}

/// What a port's translations depend on: the generation of its IOMMU domain's mappings and of
/// guest memory's regions. A translation taken under one stamp is right while the port's stamp
/// equals it and bus mastering is on (``DMAPort/holds(_:)``).
public struct DMATranslationStamp: Sendable {
    @usableFromInline let domain: UInt64
    @usableFromInline let memory: UInt64

    @inlinable init(domain: UInt64, memory: UInt64) {
        self.domain = domain
        self.memory = memory
    }

    /// A stamp no port has: a translation kept with it is never used.
    @inlinable public static var never: DMATranslationStamp { DMATranslationStamp(domain: .max, memory: .max) }
}

extension DMATranslationStamp: Equatable {
    @inlinable public static func == (a: DMATranslationStamp, b: DMATranslationStamp) -> Bool {
        a.domain == b.domain && a.memory == b.memory
    }
}

extension DMAPort {
    /// The stamp of the translations the port makes now (whatever bus mastering says).
    @inlinable public var translationStamp: DMATranslationStamp {
        DMATranslationStamp(domain: domain.generation, memory: memory.generation)
    }

    /// Whether a translation taken under `stamp` (a ``DMAWindow``) may still be used: bus mastering
    /// is on, and no mapping of the domain and no guest memory region has changed since.
    @inlinable @inline(__always)
    public func holds(_ stamp: DMATranslationStamp) -> Bool {
        busMasterEnabled && translationStamp == stamp
    }

    /// The window around `[address, address+length)` that allows `access`, or nil when the
    /// access would fault (bus mastering off, unmapped, not permitted, outside guest memory).
    ///
    /// A pure query: it records no fault, so a device that gets nil takes its ordinary path
    /// (``hostPointer(_:length:access:)``), which records the fault exactly once. The translation
    /// is left in the IOTLB like any other.
    public func window(covering address: IOVA, length: UInt64, access: DMAAccess) -> DMAWindow? {
        guard busMasterEnabled else { return nil }
        if let e = cachedEntry(address, length: length, access: access) { return DMAWindow(e) }
        guard case .success(let gpa) = domain.translate(address, length: length, access: access),
            memory.host(gpa, length: length) != nil, let entry = coverage(of: address, at: gpa)
        else { return nil }
        cache(entry)
        return DMAWindow(entry)
    }
}
