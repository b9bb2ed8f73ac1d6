/// The shape of one Base Address Register.
public struct BARDefinition: Sendable, Hashable {
    /// Address space and width.
    public enum Kind: Sendable, Hashable {
        /// 32-bit memory BAR.
        case memory32
        /// 64-bit memory BAR (uses this BAR and the next).
        case memory64
        /// I/O port BAR.
        case io
    }

    /// Address space and width.
    public let kind: Kind
    /// Size in bytes, a power of two (at least 16 for memory, 4 for I/O).
    public let size: UInt64
    /// Prefetchable memory.
    public let prefetchable: Bool

    /// Creates a BAR; `size` is rounded up to a power of two of at least the minimum.
    public init(_ kind: Kind, size: UInt64, prefetchable: Bool = false) {
        self.kind = kind
        let minimum: UInt64 = kind == .io ? 4 : 16
        var s = max(size, minimum)
        if s & (s - 1) != 0 { s = s >= (1 << 63) ? 1 << 63 : 1 << UInt64(64 - (s - 1).leadingZeroBitCount) }
        self.size = s
        self.prefetchable = kind != .io && prefetchable
    }

    /// The read-only low bits of the BAR register (space, type, prefetchable).
    public var flagBits: UInt32 {
        switch kind {
        case .io: 0x1
        case .memory32: prefetchable ? 0x8 : 0
        case .memory64: 0x4 | (prefetchable ? 0x8 : 0)
        }
    }

    /// Linux `IORESOURCE_*` flags for sysfs `resource`.
    public var resourceFlags: UInt64 {
        switch kind {
        case .io: 0x101
        case .memory32: 0x40200 | (prefetchable ? 0x2000 : 0)
        case .memory64: 0x140204 | (prefetchable ? 0x2000 : 0)
        }
    }
}

/// What identifies a function in its header.
public struct FunctionIdentity: Sendable, Hashable {
    /// Vendor ID.
    public var vendorID: UInt16
    /// Device ID.
    public var deviceID: UInt16
    /// Revision ID.
    public var revision: UInt8
    /// Class code: base class, sub class, programming interface (e.g. 0x020000).
    public var classCode: UInt32
    /// Subsystem vendor ID.
    public var subsystemVendorID: UInt16
    /// Subsystem ID.
    public var subsystemID: UInt16
    /// Interrupt pin (0 none, 1 INTA ...).
    public var interruptPin: UInt8

    /// Creates an identity.
    public init(
        vendorID: UInt16, deviceID: UInt16, revision: UInt8 = 0, classCode: UInt32,
        subsystemVendorID: UInt16 = 0, subsystemID: UInt16 = 0, interruptPin: UInt8 = 0
    ) {
        self.vendorID = vendorID
        self.deviceID = deviceID
        self.revision = revision
        self.classCode = classCode
        self.subsystemVendorID = subsystemVendorID
        self.subsystemID = subsystemID
        self.interruptPin = interruptPin
    }
}

/// PCI Express capability parameters of an endpoint.
public struct PCIExpressProperties: Sendable, Hashable {
    /// Max Payload Size Supported encoding (0 = 128 B ... 5 = 4096 B).
    public var maxPayloadSupported: UInt8 = 2
    /// Function Level Reset capability.
    public var functionLevelReset = true
    /// Max link speed encoding (1 = 2.5 GT/s, 2 = 5 GT/s, 3 = 8 GT/s, 4 = 16 GT/s).
    public var maxLinkSpeed: UInt8 = 2
    /// Max link width (lanes).
    public var maxLinkWidth: UInt8 = 8
    /// Port number in Link Capabilities.
    public var portNumber: UInt8 = 0
    /// Whether the function is an SR-IOV VF (no link registers of its own; reads zero).
    public var isVirtualFunction = false

    /// Default endpoint: MPS 512 B, FLR, 5 GT/s x8.
    public init() {}
}

/// SR-IOV capability parameters (SR-IOV 1.1 §3.3).
public struct SRIOVProperties: Sendable, Hashable {
    /// InitialVFs.
    public var initialVFs: UInt16
    /// TotalVFs.
    public var totalVFs: UInt16
    /// First VF Offset when ARI Capable Hierarchy is set.
    public var firstVFOffset: UInt16
    /// VF Stride when ARI Capable Hierarchy is set.
    public var vfStride: UInt16
    /// First VF Offset when ARI Capable Hierarchy is clear.
    public var firstVFOffsetWithoutARI: UInt16
    /// VF Stride when ARI Capable Hierarchy is clear.
    public var vfStrideWithoutARI: UInt16
    /// VF Device ID.
    public var vfDeviceID: UInt16
    /// Supported Page Sizes bitmap (bit n = 4 KiB << n).
    public var supportedPageSizes: UInt32 = 0x553
    /// The BARs each VF has; their windows are VF BAR n + index * size.
    public var vfBARs: [BARDefinition?]

    /// Creates SR-IOV parameters.
    public init(
        initialVFs: UInt16, totalVFs: UInt16, firstVFOffset: UInt16, vfStride: UInt16,
        firstVFOffsetWithoutARI: UInt16? = nil, vfStrideWithoutARI: UInt16? = nil, vfDeviceID: UInt16,
        vfBARs: [BARDefinition?]
    ) {
        self.initialVFs = initialVFs
        self.totalVFs = totalVFs
        self.firstVFOffset = firstVFOffset
        self.vfStride = vfStride
        self.firstVFOffsetWithoutARI = firstVFOffsetWithoutARI ?? firstVFOffset
        self.vfStrideWithoutARI = vfStrideWithoutARI ?? vfStride
        self.vfDeviceID = vfDeviceID
        self.vfBARs = Array((vfBARs + Array(repeating: nil, count: 6)).prefix(6))
    }
}

/// A capability to place in config space, optionally at a fixed offset.
public enum CapabilityRequest: Sendable, Hashable {
    /// Power Management, version 3.
    case powerManagement
    /// MSI with `vectors` (1...32, power of two), 64-bit, per-vector masking.
    case msi(vectors: Int)
    /// MSI-X with `vectors`, table and PBA locations.
    case msix(vectors: Int, table: BARIndex, tableOffset: UInt32, pba: BARIndex, pbaOffset: UInt32)
    /// PCI Express endpoint (version 2).
    case pciExpress(PCIExpressProperties)
    /// Advanced Error Reporting (extended).
    case advancedErrorReporting
    /// Device Serial Number (extended).
    case deviceSerialNumber(UInt64)
    /// Alternative Routing-ID Interpretation (extended).
    case ari(nextFunction: UInt8)
    /// Single Root I/O Virtualization (extended).
    case sriov(SRIOVProperties)

    /// Whether it lives in extended config space (0x100 and up).
    public var isExtended: Bool {
        switch self {
        case .powerManagement, .msi, .msix, .pciExpress: false
        case .advancedErrorReporting, .deviceSerialNumber, .ari, .sriov: true
        }
    }
}

/// A capability and where it goes (nil: the next free, dword-aligned offset).
public struct PlacedCapability: Sendable, Hashable {
    /// The capability.
    public var request: CapabilityRequest
    /// Fixed offset, or nil.
    public var offset: ConfigOffset?

    /// Places `request` at `offset` (or the next free offset).
    public init(_ request: CapabilityRequest, at offset: ConfigOffset? = nil) {
        self.request = request
        self.offset = offset
    }
}

/// Everything needed to build a function's config space.
public struct FunctionConfiguration: Sendable, Hashable {
    /// Header identity.
    public var identity: FunctionIdentity
    /// BAR0...BAR5; a 64-bit BAR leaves the next slot nil.
    public var bars: [BARDefinition?]
    /// Capabilities in chain order, each optionally at a fixed offset.
    public var capabilities: [PlacedCapability]
    /// Whether the header's Multi-Function bit is set.
    public var multiFunction = false
    /// Whether this is an SR-IOV virtual function: Vendor and Device ID read 0xffff, BARs are
    /// read-only zero (VF BARs live in the PF's SR-IOV capability) and Memory Space Enable is
    /// read-only zero (SR-IOV 1.1 §3.4.1).
    public var isVirtualFunction = false

    /// Creates a configuration.
    public init(identity: FunctionIdentity, bars: [BARDefinition?], capabilities: [PlacedCapability]) {
        self.identity = identity
        self.bars = Array((bars + Array(repeating: nil, count: 6)).prefix(6))
        self.capabilities = capabilities
    }

    /// A VF configuration: the identity the OS reports (the PF's vendor, the SR-IOV VF Device ID)
    /// is kept in `identity`; config space shows 0xffff for both ids.
    public static func virtualFunction(identity: FunctionIdentity, capabilities: [PlacedCapability]) -> Self {
        var c = FunctionConfiguration(identity: identity, bars: [], capabilities: capabilities)
        c.isVirtualFunction = true
        return c
    }

    /// The SR-IOV parameters, if the function has the capability.
    public var sriov: SRIOVProperties? {
        for c in capabilities { if case .sriov(let p) = c.request { return p } }
        return nil
    }

    /// The vectors MSI requests, if the function has the capability.
    public var msiVectors: Int? {
        for c in capabilities { if case .msi(let n) = c.request { return n } }
        return nil
    }

    /// The MSI-X parameters, if the function has the capability.
    public var msix: (vectors: Int, table: BARIndex, tableOffset: UInt32, pba: BARIndex, pbaOffset: UInt32)? {
        for c in capabilities {
            if case .msix(let n, let t, let to, let p, let po) = c.request { return (n, t, to, p, po) }
        }
        return nil
    }
}
