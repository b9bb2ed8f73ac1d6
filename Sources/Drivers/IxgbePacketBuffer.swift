import PCIe

/// One packet buffer of a ``PacketBufferPool``: a plain value (no reference counting) naming the
/// buffer by index, with the address the device uses, the CPU's pointer and the bytes in use.
///
/// Received buffers carry the descriptor's write-back status; a frame longer than one buffer
/// arrives as several buffers of which only the last has ``endOfPacket`` set.
public struct PacketBuffer: Sendable {
    /// Index of the buffer in its pool.
    public let index: Int32
    /// Identity of the pool the buffer belongs to (the pool's device address).
    public let poolID: UInt64
    /// Device address of the first byte. A driver programs exactly this into descriptors, so a
    /// test can point it elsewhere to play a buggy guest.
    public var deviceAddress: UInt64
    /// CPU address of the first byte (bit pattern; see ``bytes``).
    public let hostAddress: UInt
    /// Bytes of the buffer in use (the frame length on receive, what to send on transmit).
    public var length: Int
    /// Receive write-back status and error bits (``AdvancedRxDescriptorStatus``); 0 on transmit.
    public var status: UInt32

    /// Creates a buffer value; pools make these, tests may make their own.
    public init(index: Int32, poolID: UInt64, deviceAddress: UInt64, hostAddress: UInt, length: Int, status: UInt32 = 0) {
        self.index = index
        self.poolID = poolID
        self.deviceAddress = deviceAddress
        self.hostAddress = hostAddress
        self.length = length
        self.status = status
    }

    /// CPU pointer to the first byte.
    @inlinable public var hostPointer: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: hostAddress) }

    /// The bytes in use.
    @inlinable public var bytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: hostAddress), count: length)
    }

    /// Whether this buffer ends its frame (EOP; always true on transmit).
    @inlinable public var endOfPacket: Bool { status & AdvancedRxDescriptorStatus.endOfPacket != 0 }
}
