/// Layout of one 32-byte DMA engine descriptor in guest memory (little endian).
///
/// ```
/// 0x00 source address (u64)       0x08 destination address (u64)
/// 0x10 length in bytes (u32)      0x14 flags (u32)
/// 0x18 status, written back (u32) 0x1c reserved (u32)
/// ```
public enum DMAEngineDescriptor {
    /// Bytes per descriptor.
    public static let size = 32
    /// Offset of the source address.
    public static let sourceOffset = 0x00
    /// Offset of the destination address.
    public static let destinationOffset = 0x08
    /// Offset of the length.
    public static let lengthOffset = 0x10
    /// Offset of the flags.
    public static let flagsOffset = 0x14
    /// Offset of the write-back status.
    public static let statusOffset = 0x18
    /// Largest payload one descriptor may move.
    public static let maxLength: UInt32 = 1 << 20

    /// Flags bit: signal an interrupt when this descriptor completes.
    public static let flagRequestInterrupt: UInt32 = 1 << 0
    /// Status bit: the engine is done with the descriptor.
    public static let statusDone: UInt32 = 1 << 0
    /// Status bit: the descriptor failed; the code is in bits 15:8.
    public static let statusError: UInt32 = 1 << 1

    /// Error codes, as in `LastError.Code` and status bits 15:8.
    public enum ErrorCode: UInt32, Sendable {
        /// No error.
        case none = 0
        /// Length zero or above ``DMAEngineDescriptor/maxLength``.
        case badLength = 1
        /// The source could not be read (IOMMU fault).
        case sourceFault = 2
        /// The destination could not be written (IOMMU fault).
        case destinationFault = 3
        /// The status could not be written back.
        case writeBackFault = 4
        /// The descriptor itself could not be read; the engine halts.
        case ringFault = 5
    }

    /// The status word for a result.
    public static func status(_ code: ErrorCode) -> UInt32 {
        code == .none ? statusDone : statusDone | statusError | code.rawValue << 8
    }
}
