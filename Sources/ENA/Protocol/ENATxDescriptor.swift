/// A 16-byte transmit descriptor (`ena_eth_io_tx_desc`), or a meta descriptor
/// (`ena_eth_io_tx_meta_desc`) when ``isMeta`` is set. Little-endian words in ring order.
public struct ENATxDescriptor: Sendable, Equatable {
    /// Bytes per descriptor.
    public static let size = 16

    /// Word 0: length 15:0, req_id 15:10 at 21:16, meta 23, phase 24, first 26, last 27, comp_req 28.
    public var lengthControl: UInt32
    /// Word 1: L3 protocol 3:0, DF 4, TSO 7, L4 protocol 12:8, L3/L4 checksum enables 13/14,
    /// FCS disable 15, partial L4 checksum 17, req_id 9:0 at 31:22.
    public var metaControl: UInt32
    /// Word 2: buffer address bits 31:0.
    public var addressLow: UInt32
    /// Word 3: buffer address bits 47:32 in 15:0, header length (LLQ: inline header bytes) in 31:24.
    public var addressHighHeaderLength: UInt32

    /// A descriptor from its four words.
    @inlinable public init(lengthControl: UInt32, metaControl: UInt32, addressLow: UInt32, addressHighHeaderLength: UInt32) {
        self.lengthControl = lengthControl
        self.metaControl = metaControl
        self.addressLow = addressLow
        self.addressHighHeaderLength = addressHighHeaderLength
    }

    /// A buffer descriptor as a driver builds it.
    @inlinable public init(
        length: UInt16, address: UInt64, requestID: UInt16, phase: Bool, first: Bool, last: Bool,
        completionRequested: Bool = true, headerLength: UInt8 = 0, l3Protocol: UInt8 = 0, l4Protocol: UInt8 = 0,
        l3Checksum: Bool = false, l4Checksum: Bool = false
    ) {
        var control = UInt32(length) | (UInt32(requestID >> 10) & 0x3F) << 16
        if phase { control |= Self.phaseBit }
        if first { control |= Self.firstBit }
        if last { control |= Self.lastBit }
        if completionRequested { control |= Self.completionRequestBit }
        var meta = UInt32(l3Protocol & 0xF) | UInt32(l4Protocol & 0x1F) << 8 | (UInt32(requestID) & 0x3FF) << 22
        if l3Checksum { meta |= 1 << 13 }
        if l4Checksum { meta |= 1 << 14 }
        self.init(
            lengthControl: control, metaControl: meta, addressLow: UInt32(truncatingIfNeeded: address),
            addressHighHeaderLength: UInt32(truncatingIfNeeded: address >> 32) & 0xFFFF | UInt32(headerLength) << 24)
    }

    /// A meta descriptor (checksum/TSO offsets; the model only checks its framing bits).
    public static func meta(phase: Bool, first: Bool, last: Bool = false) -> ENATxDescriptor {
        var control = Self.metaBit | Self.completionRequestBit
        if phase { control |= Self.phaseBit }
        if first { control |= Self.firstBit }
        if last { control |= Self.lastBit }
        return ENATxDescriptor(lengthControl: control, metaControl: 0, addressLow: 0, addressHighHeaderLength: 0)
    }

    /// Reads a descriptor from 16 bytes at `pointer`.
    @inlinable public init(loadingFrom pointer: UnsafeRawPointer) {
        let low = UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self))
        let high = UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        lengthControl = UInt32(truncatingIfNeeded: low)
        metaControl = UInt32(truncatingIfNeeded: low >> 32)
        addressLow = UInt32(truncatingIfNeeded: high)
        addressHighHeaderLength = UInt32(truncatingIfNeeded: high >> 32)
    }

    /// Writes the descriptor to 16 bytes at `pointer`.
    @inlinable public func store(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: (UInt64(metaControl) << 32 | UInt64(lengthControl)).littleEndian, as: UInt64.self)
        pointer.storeBytes(
            of: (UInt64(addressHighHeaderLength) << 32 | UInt64(addressLow)).littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    @usableFromInline static let metaBit: UInt32 = 1 << 23
    @usableFromInline static let phaseBit: UInt32 = 1 << 24
    @usableFromInline static let firstBit: UInt32 = 1 << 26
    @usableFromInline static let lastBit: UInt32 = 1 << 27
    @usableFromInline static let completionRequestBit: UInt32 = 1 << 28

    /// Buffer length in bytes.
    @inlinable public var length: Int { Int(lengthControl & 0xFFFF) }
    /// A meta descriptor (no buffer).
    @inlinable public var isMeta: Bool { lengthControl & Self.metaBit != 0 }
    /// The producer's phase bit.
    @inlinable public var phase: Bool { lengthControl & Self.phaseBit != 0 }
    /// First descriptor of a packet.
    @inlinable public var isFirst: Bool { lengthControl & Self.firstBit != 0 }
    /// Last descriptor of a packet.
    @inlinable public var isLast: Bool { lengthControl & Self.lastBit != 0 }
    /// A completion is requested (first descriptor only).
    @inlinable public var completionRequested: Bool { lengthControl & Self.completionRequestBit != 0 }
    /// The 16-bit request id split across words 0 and 1.
    @inlinable public var requestID: UInt16 {
        UInt16(truncatingIfNeeded: (lengthControl >> 16) & 0x3F) << 10 | UInt16(truncatingIfNeeded: metaControl >> 22)
    }
    /// Buffer device address (48 bits).
    @inlinable public var bufferAddress: UInt64 { UInt64(addressLow) | UInt64(addressHighHeaderLength & 0xFFFF) << 32 }
    /// Header length: in LLQ mode, the bytes of inline header in the first entry.
    @inlinable public var headerLength: Int { Int(addressHighHeaderLength >> 24) }
    /// L3 protocol index (IPv4 8, IPv6 11).
    @inlinable public var l3Protocol: UInt8 { UInt8(truncatingIfNeeded: metaControl & 0xF) }
    /// L4 protocol index (TCP 12, UDP 13).
    @inlinable public var l4Protocol: UInt8 { UInt8(truncatingIfNeeded: (metaControl >> 8) & 0x1F) }
    /// Insert the IPv4 header checksum.
    @inlinable public var l3ChecksumEnabled: Bool { metaControl & (1 << 13) != 0 }
    /// Insert the TCP/UDP checksum.
    @inlinable public var l4ChecksumEnabled: Bool { metaControl & (1 << 14) != 0 }
    /// TSO requested (not modelled: refused as a malformed packet).
    @inlinable public var tsoEnabled: Bool { metaControl & (1 << 7) != 0 }
}

/// Protocol indices of the IO descriptors (`ena_eth_io_l3_proto_index`, `ena_eth_io_l4_proto_index`).
public enum ENAProtocolIndex {
    /// IPv4 (L3).
    public static let ipv4: UInt8 = 8
    /// IPv6 (L3).
    public static let ipv6: UInt8 = 11
    /// TCP (L4).
    public static let tcp: UInt8 = 12
    /// UDP (L4).
    public static let udp: UInt8 = 13
}
