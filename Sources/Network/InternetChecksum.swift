/// The RFC 1071 Internet checksum (ones' complement sum of 16-bit big-endian words), accumulated
/// over any number of byte runs. Odd-length runs are handled: the next run continues the word.
/// Allocation-free, so a NIC model can use it for checksum offload.
public struct InternetChecksum: Sendable {
    private var sum: UInt64 = 0
    private var pendingHighByte: UInt8?

    /// An empty checksum.
    public init() {}

    /// Adds bytes in wire order.
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        if let high = pendingHighByte, !bytes.isEmpty {
            sum &+= UInt64(high) << 8 | UInt64(bytes[0])
            pendingHighByte = nil
            index = 1
        }
        while bytes.count - index >= 2 {
            sum &+= UInt64(bytes.bigEndianUInt16(at: index))
            index += 2
        }
        if index < bytes.count { pendingHighByte = bytes[index] }
    }

    /// Adds bytes in wire order.
    public mutating func add(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { add($0) }
    }

    /// Adds one 16-bit word (must be at an even position of the summed data).
    public mutating func add(word: UInt16) {
        sum &+= UInt64(word)
    }

    /// Adds a 32-bit value as two words (must be at an even position of the summed data).
    public mutating func add(doubleWord: UInt32) {
        sum &+= UInt64(doubleWord >> 16) &+ UInt64(doubleWord & 0xFFFF)
    }

    /// The checksum: the ones' complement of the folded sum (a trailing odd byte is padded with
    /// zero). Data that already contains its correct checksum gives 0.
    public var value: UInt16 {
        var total = sum
        if let high = pendingHighByte { total &+= UInt64(high) << 8 }
        while total >> 16 != 0 { total = (total & 0xFFFF) &+ (total >> 16) }
        return ~UInt16(truncatingIfNeeded: total)
    }
}
