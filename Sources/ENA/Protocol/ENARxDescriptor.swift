/// A 16-byte receive descriptor (`ena_eth_io_rx_desc`): one buffer the driver posts.
public struct ENARxDescriptor: Sendable, Equatable {
    /// Bytes per descriptor.
    public static let size = 16

    /// Buffer length in bytes; 0 means 64 KiB.
    public var length: UInt16
    /// Control: phase 0, first 2, last 3, comp_req 4.
    public var control: UInt8
    /// Request id echoed in the completion.
    public var requestID: UInt16
    /// Buffer device address (48 bits).
    public var bufferAddress: UInt64

    /// A descriptor as a driver posts it (first, last and comp_req set, as Linux does).
    @inlinable public init(length: UInt16, address: UInt64, requestID: UInt16, phase: Bool) {
        self.length = length
        self.control = 0x1C | (phase ? 1 : 0)
        self.requestID = requestID
        self.bufferAddress = address & 0xFFFF_FFFF_FFFF
    }

    /// Reads a descriptor from 16 bytes at `pointer`.
    @inlinable public init(loadingFrom pointer: UnsafeRawPointer) {
        let low = UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self))
        let high = UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        length = UInt16(truncatingIfNeeded: low)
        control = UInt8(truncatingIfNeeded: low >> 24)
        requestID = UInt16(truncatingIfNeeded: low >> 32)
        bufferAddress = high & 0xFFFF_FFFF_FFFF
    }

    /// Writes the descriptor to 16 bytes at `pointer`.
    @inlinable public func store(to pointer: UnsafeMutableRawPointer) {
        let low = UInt64(length) | UInt64(control) << 24 | UInt64(requestID) << 32
        pointer.storeBytes(of: low.littleEndian, as: UInt64.self)
        pointer.storeBytes(of: bufferAddress.littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// The producer's phase bit.
    @inlinable public var phase: Bool { control & 1 != 0 }
    /// Bytes the buffer holds (length 0 means 65536).
    @inlinable public var capacity: Int { length == 0 ? 65536 : Int(length) }
}

/// An 8-byte transmit completion (`ena_eth_io_tx_cdesc`).
public struct ENATxCompletion: Sendable, Equatable {
    /// Bytes per completion.
    public static let size = 8
    /// Request id of the packet's first buffer descriptor.
    public var requestID: UInt16
    /// 0: sent; 1: the device dropped the packet as malformed (model-specific).
    public var status: UInt8
    /// The device's phase bit.
    public var phase: Bool
    /// Submission queue head (masked) after the packet.
    public var submissionQueueHead: UInt16

    /// A completion.
    public init(requestID: UInt16, status: UInt8, phase: Bool, submissionQueueHead: UInt16) {
        self.requestID = requestID
        self.status = status
        self.phase = phase
        self.submissionQueueHead = submissionQueueHead
    }

    /// Reads a completion from 8 bytes at `pointer`.
    public init(loadingFrom pointer: UnsafeRawPointer) {
        let v = UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self))
        requestID = UInt16(truncatingIfNeeded: v)
        status = UInt8(truncatingIfNeeded: v >> 16)
        phase = (v >> 24) & 1 != 0
        submissionQueueHead = UInt16(truncatingIfNeeded: v >> 48)
    }

    /// Writes the completion (sub_qid 0) to 8 bytes at `pointer`.
    @inlinable public func store(to pointer: UnsafeMutableRawPointer) {
        let v = UInt64(requestID) | UInt64(status) << 16 | (phase ? 1 << 24 : 0) | UInt64(submissionQueueHead) << 48
        pointer.storeBytes(of: v.littleEndian, as: UInt64.self)
    }
}

/// A 16-byte receive completion (`ena_eth_io_rx_cdesc_base`): one per buffer used.
public struct ENARxCompletion: Sendable, Equatable {
    /// Bytes per completion.
    public static let size = 16
    /// Status word: L3 protocol 4:0, L4 protocol 12:8, L3/L4 checksum errors 13/14, IPv4
    /// fragment 15, L4 checksum checked 16, phase 24, first 26, last 27, buffer 30.
    public var status: UInt32
    /// Bytes written to the buffer.
    public var length: UInt16
    /// Request id of the buffer's descriptor.
    public var requestID: UInt16
    /// RSS hash of the packet.
    public var hash: UInt32

    /// A completion.
    @inlinable public init(status: UInt32, length: UInt16, requestID: UInt16, hash: UInt32) {
        self.status = status
        self.length = length
        self.requestID = requestID
        self.hash = hash
    }

    /// Reads a completion from 16 bytes at `pointer`.
    public init(loadingFrom pointer: UnsafeRawPointer) {
        let low = UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self))
        let high = UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        status = UInt32(truncatingIfNeeded: low)
        length = UInt16(truncatingIfNeeded: low >> 32)
        requestID = UInt16(truncatingIfNeeded: low >> 48)
        hash = UInt32(truncatingIfNeeded: high)
    }

    /// Writes the completion (sub_qid 0, offset 0) to 16 bytes at `pointer`.
    @inlinable public func store(to pointer: UnsafeMutableRawPointer) {
        let low = UInt64(status) | UInt64(length) << 32 | UInt64(requestID) << 48
        pointer.storeBytes(of: low.littleEndian, as: UInt64.self)
        pointer.storeBytes(of: UInt64(hash).littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// The device's phase bit.
    public var phase: Bool { status & Self.phaseBit != 0 }
    /// First buffer of a packet.
    public var isFirst: Bool { status & Self.firstBit != 0 }
    /// Last buffer of a packet (parse results are valid here only).
    public var isLast: Bool { status & Self.lastBit != 0 }
    /// L3 protocol index.
    public var l3Protocol: UInt8 { UInt8(truncatingIfNeeded: status & 0x1F) }
    /// L4 protocol index.
    public var l4Protocol: UInt8 { UInt8(truncatingIfNeeded: (status >> 8) & 0x1F) }
    /// The IPv4 header checksum was wrong (valid for IPv4).
    public var l3ChecksumError: Bool { status & (1 << 13) != 0 }
    /// The TCP/UDP checksum was wrong (valid when ``l4ChecksumChecked``).
    public var l4ChecksumError: Bool { status & (1 << 14) != 0 }
    /// An IPv4 fragment.
    public var isFragment: Bool { status & (1 << 15) != 0 }
    /// The L4 checksum was verified.
    public var l4ChecksumChecked: Bool { status & (1 << 16) != 0 }

    @usableFromInline static let phaseBit: UInt32 = 1 << 24
    @usableFromInline static let firstBit: UInt32 = 1 << 26
    @usableFromInline static let lastBit: UInt32 = 1 << 27
    @usableFromInline static let bufferBit: UInt32 = 1 << 30
}
