/// Write-combined bursts: a driver copying a block into a prefetchable BAR mapped
/// write-combining (the ENA driver's LLQ entries, `__iowrite64_copy` in Linux) produces a burst
/// of posted writes the CPU may merge into full-line transactions. The platform carries the
/// burst as one block; a model that keeps such a BAR as plain memory takes it in one copy, and
/// every other model sees the same naturally aligned writes, in ascending order, that the
/// guest's stores would have made one by one.

/// Calls `body` with each naturally aligned access (8, 4, 2 or 1 bytes, as wide as alignment
/// and the remaining length allow) that covers `count` bytes from `offset`, in ascending order;
/// `body` gets the access's position within the block and its width.
@inlinable
public func forEachNaturallyAlignedAccess(offset: UInt64, count: Int, _ body: (Int, AccessWidth) -> Void) {
    var at = 0
    while at < count {
        let address = offset &+ UInt64(at)
        let left = count &- at
        let width: AccessWidth
        if address & 7 == 0, left >= 8 {
            width = .qword
        } else if address & 3 == 0, left >= 4 {
            width = .dword
        } else if address & 1 == 0, left >= 2 {
            width = .word
        } else {
            width = .byte
        }
        body(at, width)
        at &+= width.rawValue
    }
}

/// Calls `body` with the address, width and little-endian value of each naturally aligned write
/// a burst of `bytes` at `offset` is made of, in ascending order.
@inlinable
public func forEachNaturallyAlignedWrite(
    of bytes: UnsafeRawBufferPointer, at offset: UInt64, _ body: (UInt64, AccessWidth, UInt64) -> Void
) {
    forEachNaturallyAlignedAccess(offset: offset, count: bytes.count) { at, width in
        body(offset &+ UInt64(at), width, littleEndianValue(bytes, at: at, width))
    }
}

/// The little-endian value of the `width` bytes at `position` of `bytes`.
@inlinable
func littleEndianValue(_ bytes: UnsafeRawBufferPointer, at position: Int, _ width: AccessWidth) -> UInt64 {
    guard let base = bytes.baseAddress else { return 0 }
    switch width {
    case .qword: return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    case .dword: return UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
    case .word: return UInt64(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt16.self)))
    case .byte: return UInt64(base.load(fromByteOffset: position, as: UInt8.self))
    }
}

extension PCIDeviceModel {
    /// A write-combined burst into `bar` as the separate writes it is made of (the default for
    /// models that have no BAR kept as plain memory).
    public func barWriteCombined(_ bar: BARIndex, offset: UInt64, bytes: UnsafeRawBufferPointer) {
        writeAsSeparateAccesses(bar, offset: offset, bytes: bytes)
    }

    /// Replays `bytes` at `offset` of `bar` as naturally aligned ``barWrite(_:offset:width:value:)``
    /// calls, in ascending order.
    public func writeAsSeparateAccesses(_ bar: BARIndex, offset: UInt64, bytes: UnsafeRawBufferPointer) {
        forEachNaturallyAlignedWrite(of: bytes, at: offset) { barWrite(bar, offset: $0, width: $1, value: $2) }
    }
}

extension DeviceAccess {
    /// A write-combined burst as separate writes (accessors without a block path).
    public func barWriteCombined(_ bar: BARIndex, offset: UInt64, bytes: UnsafeRawBufferPointer) {
        forEachNaturallyAlignedWrite(of: bytes, at: offset) { barWrite(bar, offset: $0, width: $1, value: $2) }
    }
}
