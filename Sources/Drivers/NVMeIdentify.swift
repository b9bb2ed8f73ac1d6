/// Little-endian field access over a data structure the controller wrote (Identify, log pages).
struct NVMeBytes {
    let bytes: [UInt8]

    init(_ raw: UnsafeRawBufferPointer) { bytes = Array(raw) }
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Unsigned little-endian integer of `width` bytes (≤ 8) at `offset`; 0 beyond the end.
    func uint(_ offset: Int, _ width: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in stride(from: width - 1, through: 0, by: -1) {
            let at = offset + i
            v = v << 8 | (at >= 0 && at < bytes.count ? UInt64(bytes[at]) : 0)
        }
        return v
    }
    func u8(_ offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: uint(offset, 1)) }
    func u16(_ offset: Int) -> UInt16 { UInt16(truncatingIfNeeded: uint(offset, 2)) }
    func u32(_ offset: Int) -> UInt32 { UInt32(truncatingIfNeeded: uint(offset, 4)) }
    func u64(_ offset: Int) -> UInt64 { uint(offset, 8) }

    /// The bytes `offset..<offset+count` (clamped to the structure).
    func slice(_ offset: Int, _ count: Int) -> [UInt8] {
        let lo = min(max(offset, 0), bytes.count)
        let hi = min(max(offset + count, lo), bytes.count)
        return Array(bytes[lo..<hi])
    }

    /// An ASCII string field padded with spaces (or NULs), trailing padding removed.
    func ascii(_ offset: Int, _ count: Int) -> String {
        var field = slice(offset, count)
        while let last = field.last, last == 0x20 || last == 0 { field.removeLast() }
        return String(decoding: field.map { $0 >= 0x20 && $0 < 0x7F ? $0 : 0x3F }, as: UTF8.self)
    }
}

/// What the Identify Controller data structure (CNS 01h, NVMe Base §5.15.2.2) says, as far as
/// the driver uses it.
public struct NVMeControllerIdentity: Sendable, Equatable {
    /// PCI Vendor ID (VID).
    public var vendorID: UInt16
    /// PCI Subsystem Vendor ID (SSVID).
    public var subsystemVendorID: UInt16
    /// Serial Number (SN), trailing spaces removed.
    public var serialNumber: String
    /// Model Number (MN), trailing spaces removed.
    public var modelNumber: String
    /// Firmware Revision (FR).
    public var firmwareRevision: String
    /// Maximum Data Transfer Size as a power of two of CAP.MPSMIN pages; 0 means no limit.
    public var maximumDataTransferShift: Int
    /// Controller ID (CNTLID).
    public var controllerID: UInt16
    /// Version (VER).
    public var version: NVMeVersion
    /// Optional Admin Command Support (OACS).
    public var optionalAdminCommands: UInt16
    /// Abort Command Limit, zero-based (ACL).
    public var abortLimit: Int
    /// Asynchronous Event Request Limit, zero-based (AERL).
    public var asyncEventRequestLimit: Int
    /// Firmware Updates (FRMW).
    public var firmwareUpdates: UInt8
    /// Log Page Attributes (LPA).
    public var logPageAttributes: UInt8
    /// Error Log Page Entries, zero-based (ELPE).
    public var errorLogEntries: Int
    /// Sanitize Capabilities (SANICAP): bit 0 crypto erase, 1 block erase, 2 overwrite.
    public var sanitizeCapabilities: UInt32
    /// Submission Queue Entry Size (SQES): required 3:0 and maximum 7:4 exponents.
    public var submissionEntrySizes: UInt8
    /// Completion Queue Entry Size (CQES).
    public var completionEntrySizes: UInt8
    /// Maximum Outstanding Commands (MAXCMD), 0 if not reported.
    public var maximumCommands: Int
    /// Number of Namespaces (NN): the largest valid namespace id.
    public var namespaceCount: UInt32
    /// Optional NVM Command Support (ONCS).
    public var optionalNVMCommands: UInt16
    /// Format NVM Attributes (FNA): bit 0 format applies to all, 1 erase applies to all, 2 crypto erase.
    public var formatAttributes: UInt8
    /// Volatile Write Cache (VWC): bit 0 present.
    public var volatileWriteCache: UInt8
    /// SGL Support (SGLS).
    public var sglSupport: UInt32
    /// The vendor-specific area (bytes 3072...4095).
    public var vendorSpecific: [UInt8]

    /// Parses an Identify Controller data structure (4096 bytes).
    public init(parsing data: UnsafeRawBufferPointer) {
        let b = NVMeBytes(data)
        vendorID = b.u16(0)
        subsystemVendorID = b.u16(2)
        serialNumber = b.ascii(4, 20)
        modelNumber = b.ascii(24, 40)
        firmwareRevision = b.ascii(64, 8)
        maximumDataTransferShift = Int(b.u8(77))
        controllerID = b.u16(78)
        version = NVMeVersion(b.u32(80))
        optionalAdminCommands = b.u16(256)
        abortLimit = Int(b.u8(258))
        asyncEventRequestLimit = Int(b.u8(259))
        firmwareUpdates = b.u8(260)
        logPageAttributes = b.u8(261)
        errorLogEntries = Int(b.u8(262))
        sanitizeCapabilities = b.u32(328)
        submissionEntrySizes = b.u8(512)
        completionEntrySizes = b.u8(513)
        maximumCommands = Int(b.u16(514))
        namespaceCount = b.u32(516)
        optionalNVMCommands = b.u16(520)
        formatAttributes = b.u8(524)
        volatileWriteCache = b.u8(525)
        sglSupport = b.u32(536)
        vendorSpecific = b.slice(3072, 1024)
    }

    /// Compare is supported (ONCS bit 0).
    public var supportsCompare: Bool { optionalNVMCommands & 1 != 0 }
    /// Dataset Management (deallocate) is supported (ONCS bit 2).
    public var supportsDatasetManagement: Bool { optionalNVMCommands & (1 << 2) != 0 }
    /// Write Zeroes is supported (ONCS bit 3).
    public var supportsWriteZeroes: Bool { optionalNVMCommands & (1 << 3) != 0 }
    /// Verify is supported (ONCS bit 7).
    public var supportsVerify: Bool { optionalNVMCommands & (1 << 7) != 0 }
    /// Format NVM and Sanitize can erase cryptographically (FNA bit 2).
    public var supportsCryptographicFormat: Bool { formatAttributes & (1 << 2) != 0 }
    /// Format NVM is supported (OACS bit 1).
    public var supportsFormat: Bool { optionalAdminCommands & (1 << 1) != 0 }
    /// Sanitize supports `action`.
    public func supportsSanitize(_ action: NVMeSanitizeAction) -> Bool {
        switch action {
        case .exitFailureMode: sanitizeCapabilities & 0x7 != 0
        case .blockErase: sanitizeCapabilities & (1 << 1) != 0
        case .overwrite: sanitizeCapabilities & (1 << 2) != 0
        case .cryptoErase: sanitizeCapabilities & 1 != 0
        }
    }

    /// The block device name in the first 32 bytes of the vendor-specific area, as EC2's EBS
    /// controllers report it (space padded), or nil if that area is blank.
    public var blockDeviceName: String? {
        let name = NVMeBytes(vendorSpecific).ascii(0, 32).trimmingSpaces
        return name.isEmpty ? nil : name
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// One LBA format of a namespace (LBAF, NVMe NVM Command Set §4.1.5.1).
public struct NVMeLBAFormat: Sendable, Equatable {
    /// Metadata bytes per block (MS).
    public var metadataSize: Int
    /// Data bytes per block (2^LBADS).
    public var dataSize: Int
    /// Relative Performance (RP), 0 best.
    public var relativePerformance: Int
}

/// What Identify Namespace (CNS 00h) says about an active namespace.
public struct NVMeNamespace: Sendable, Equatable {
    /// Namespace id.
    public var id: UInt32
    /// Namespace Size in logical blocks (NSZE).
    public var size: UInt64
    /// Namespace Capacity in logical blocks (NCAP).
    public var capacity: UInt64
    /// Namespace Utilization in logical blocks (NUSE).
    public var utilization: UInt64
    /// Namespace Features (NSFEAT).
    public var features: UInt8
    /// The LBA formats offered (NLBAF + 1 entries).
    public var formats: [NVMeLBAFormat]
    /// Index of the format in use (FLBAS 3:0).
    public var formatIndex: Int

    /// Parses an Identify Namespace data structure (4096 bytes) of namespace `id`.
    public init(id: UInt32, parsing data: UnsafeRawBufferPointer) {
        let b = NVMeBytes(data)
        self.id = id
        size = b.u64(0)
        capacity = b.u64(8)
        utilization = b.u64(16)
        features = b.u8(24)
        let count = min(Int(b.u8(25)) + 1, 64)
        formats = (0..<count).map { i in
            let f = b.u32(128 + 4 * i)
            let shift = Int((f >> 16) & 0xFF)
            return NVMeLBAFormat(
                metadataSize: Int(f & 0xFFFF), dataSize: shift >= 9 && shift < 32 ? 1 << shift : 0,
                relativePerformance: Int((f >> 24) & 3))
        }
        formatIndex = Int(b.u8(26) & 0xF)
    }

    /// Bytes per logical block in the format in use (0 if the controller reported nonsense).
    public var blockSize: Int { formatIndex < formats.count ? formats[formatIndex].dataSize : 0 }
    /// Index of the first offered format with `blockSize` data bytes and no metadata.
    public func formatIndex(blockSize: Int) -> Int? {
        formats.firstIndex { $0.dataSize == blockSize && $0.metadataSize == 0 }
    }
}
