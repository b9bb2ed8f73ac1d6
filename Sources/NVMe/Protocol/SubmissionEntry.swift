/// One 64-byte submission queue entry (NVMe Base §4.2), copied out of guest memory once so
/// that later guest writes to the slot cannot change a command while it runs.
public struct SubmissionEntry: Sendable, Equatable {
    /// The sixteen command dwords, CDW0 first, in host byte order.
    public var dwords: Dwords

    /// Size of an entry in bytes (IOSQES 6).
    public static let size = 64

    /// An all-zero entry.
    public init() { dwords = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) }

    /// Reads an entry from 64 bytes of little-endian guest memory: one 64-byte copy on a
    /// little-endian host, dword by dword with a byte swap otherwise.
    @inlinable public init(loadingFrom p: UnsafeRawPointer) {
        #if _endian(little)
            dwords = p.loadUnaligned(as: Dwords.self)
        #else
            self.init()
            withUnsafeMutableBytes(of: &dwords) { out in
                for i in 0..<16 {
                    out.storeBytes(
                        of: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)),
                        toByteOffset: i * 4, as: UInt32.self)
                }
            }
        #endif
    }

    /// The type of ``dwords``.
    public typealias Dwords = (
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32
    )

    /// Command dword `i` (0...15).
    @inlinable public subscript(dword i: Int) -> UInt32 {
        get { withUnsafeBytes(of: dwords) { $0.load(fromByteOffset: (i & 15) * 4, as: UInt32.self) } }
        set { withUnsafeMutableBytes(of: &dwords) { $0.storeBytes(of: newValue, toByteOffset: (i & 15) * 4, as: UInt32.self) } }
    }

    /// Opcode (CDW0 7:0).
    @inlinable public var opcode: UInt8 { UInt8(truncatingIfNeeded: self[dword: 0]) }
    /// Fused operation (CDW0 9:8).
    @inlinable public var fuse: UInt8 { UInt8(truncatingIfNeeded: self[dword: 0] >> 8) & 0x3 }
    /// PRP or SGL for data transfer (CDW0 15:14): 0 PRPs, 1 SGL with a buffer, 2 SGL with a segment for metadata.
    @inlinable public var psdt: UInt8 { UInt8(truncatingIfNeeded: self[dword: 0] >> 14) & 0x3 }
    /// Command identifier (CDW0 31:16).
    @inlinable public var commandID: UInt16 { UInt16(truncatingIfNeeded: self[dword: 0] >> 16) }
    /// Namespace identifier (CDW1).
    @inlinable public var namespaceID: UInt32 { self[dword: 1] }
    /// Metadata pointer (CDW4-5).
    @inlinable public var metadataPointer: UInt64 { UInt64(self[dword: 5]) << 32 | UInt64(self[dword: 4]) }
    /// PRP entry 1 (CDW6-7), or the first half of the SGL descriptor.
    @inlinable public var prp1: UInt64 { UInt64(self[dword: 7]) << 32 | UInt64(self[dword: 6]) }
    /// PRP entry 2 (CDW8-9), or the second half of the SGL descriptor.
    @inlinable public var prp2: UInt64 { UInt64(self[dword: 9]) << 32 | UInt64(self[dword: 8]) }
    /// Command dwords 10...15.
    @inlinable public var cdw10: UInt32 { self[dword: 10] }
    /// Command dword 11.
    @inlinable public var cdw11: UInt32 { self[dword: 11] }
    /// Command dword 12.
    @inlinable public var cdw12: UInt32 { self[dword: 12] }
    /// Command dword 13.
    @inlinable public var cdw13: UInt32 { self[dword: 13] }
    /// Command dword 14.
    @inlinable public var cdw14: UInt32 { self[dword: 14] }
    /// Command dword 15.
    @inlinable public var cdw15: UInt32 { self[dword: 15] }

    /// Starting LBA of an NVM read/write-style command (CDW10-11).
    @inlinable public var startingLBA: UInt64 { UInt64(cdw11) << 32 | UInt64(cdw10) }
    /// Number of logical blocks, zero-based (CDW12 15:0).
    @inlinable public var blockCountMinusOne: Int { Int(cdw12 & 0xFFFF) }

    /// Entries are equal when all sixteen dwords are.
    public static func == (a: SubmissionEntry, b: SubmissionEntry) -> Bool {
        (0..<16).allSatisfy { a[dword: $0] == b[dword: $0] }
    }

    /// Writes the entry as 64 little-endian bytes (drivers building commands): one 64-byte copy on
    /// a little-endian host.
    @inlinable public func store(to p: UnsafeMutableRawPointer) {
        #if _endian(little)
            p.storeBytes(of: dwords, as: Dwords.self)
        #else
            for i in 0..<16 { p.storeBytes(of: self[dword: i].littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        #endif
    }

    /// Sets CDW0 from its fields.
    @inlinable public mutating func setHeader(opcode: UInt8, commandID: UInt16, psdt: UInt8 = 0, fuse: UInt8 = 0) {
        self[dword: 0] = UInt32(opcode) | UInt32(fuse & 3) << 8 | UInt32(psdt & 3) << 14 | UInt32(commandID) << 16
    }
}
