/// Reading the backing store in place, for checks that scan all of it (the fuzz targets look
/// for plaintext and key bytes in every block after every input).
extension NVMeController {
    /// Test seam: calls `body` with the bytes the store holds for block `lba` (ciphertext when
    /// encrypted) and returns its result. A memory store is read in place, without a copy; a
    /// file store is read into a temporary buffer. A block past the end gives an empty buffer.
    @_spi(KeyInjection) public func withStoredBytes<R>(ofBlock lba: UInt64, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let ns = namespace
        guard lba < ns.blockCount else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        if let memory = ns.store.memory {
            let at = Int(lba << UInt64(ns.blockShift))
            return body(UnsafeRawBufferPointer(start: memory + at, count: ns.blockSize))
        }
        return ns.storedBytes(lba).withUnsafeBytes(body)
    }

    /// Test seam: the blocks (ascending, disjoint ranges of LBAs) a scan of the store must read;
    /// every stored byte of every other block is zero. For a memory store these are the blocks on
    /// pages of the mapping that were ever populated, whatever wrote them (any write through any
    /// pointer populates its page); without a page map, and for a file store, all blocks.
    @_spi(KeyInjection) public func storedBlocksThatMayHoldData() -> [Range<UInt64>] {
        namespace.blocksThatMayHoldData()
    }
}
