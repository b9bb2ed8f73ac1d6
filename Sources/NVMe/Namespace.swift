@_spi(KeyInjection) import BlockCrypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Namespace 1 of a controller: its LBA format, the backing store, the allocation map and, when
/// encrypted, the XTS-AES-256 cipher whose key exists only inside this object.
///
/// With a cipher, every block reaches the store as ciphertext with its LBA as the data unit number
/// (tweak) and leaves it decrypted; plaintext is never written to the store. Deallocated blocks
/// read as zeroes without touching the store, so after a crypto erase (new key, everything
/// deallocated) no read can return old data, and the old ciphertext left in the store cannot be
/// decrypted by anyone.
final class Namespace {
    /// LBA formats offered: 0 is 512-byte blocks, 1 is 4096-byte blocks, no metadata.
    static let formatBlockShifts = [9, 12]

    let store: BlockStore
    let allocation: AllocationMap
    /// The cipher, nil for an unencrypted namespace. A `let`, so the data path borrows it without a
    /// retain and release per block; new keys (crypto erase, the test seam) go into the same object.
    let cipher: XTSAES256?
    /// ``cipher`` without reference counting, for the block path: binding the optional `let` to a
    /// local costs a retain and a release per block; the namespace keeps the cipher alive.
    private let unretainedCipher: Unmanaged<XTSAES256>?
    /// Keys this namespace has had (0 when unencrypted); never the key itself.
    @exclusivity(unchecked) private(set) var keyGeneration: UInt64
    /// Bytes of the namespace (constant across formats).
    let capacityBytes: UInt64
    /// Current LBA format index (FLBAS 3:0).
    @exclusivity(unchecked) private(set) var formatIndex: Int
    /// log2 of the block size.
    @exclusivity(unchecked) private(set) var blockShift: Int
    /// Block size in bytes.
    @exclusivity(unchecked) private(set) var blockSize: Int
    /// NSZE = NCAP.
    @exclusivity(unchecked) private(set) var blockCount: UInt64
    /// Ciphertext or compare staging for one block (4096 bytes).
    private let scratch: UnsafeMutableRawPointer

    /// Builds the namespace; a persisted, unencrypted file gets its allocation map from the file's
    /// data ranges, an encrypted one starts erased.
    init(configuration c: NVMeControllerConfiguration) throws(NVMeSetupError) {
        capacityBytes = c.capacityBytes
        formatIndex = c.blockSize == 4096 ? 1 : 0
        blockShift = Self.formatBlockShifts[formatIndex]
        blockSize = 1 << blockShift
        blockCount = capacityBytes >> UInt64(blockShift)
        switch c.backing {
        case .memory: store = try BlockStore(memoryOf: capacityBytes)
        case .file(let path): store = try BlockStore(path: path, byteCount: capacityBytes, erase: c.encrypted)
        }
        allocation = try AllocationMap(blockCount: blockCount)
        if c.encrypted {
            do {
                cipher = try XTSAES256()
            } catch {
                throw .cipher("no key: \(error)")
            }
            keyGeneration = 1
        } else {
            cipher = nil
            keyGeneration = 0
            for r in store.dataRanges() {
                let first = r.lowerBound >> UInt64(blockShift)
                let end = (r.upperBound + UInt64(blockSize) - 1) >> UInt64(blockShift)
                allocation.markAllocated(first, count: end - first)
            }
        }
        unretainedCipher = cipher.map { Unmanaged.passUnretained($0) }
        scratch = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
    }

    deinit { scratch.deallocate() }

    var isEncrypted: Bool { cipher != nil }

    // MARK: Blocks

    /// Bytes ``prefetch(_:forWriting:)`` asks for: enough for the hardware prefetcher to carry on
    /// through a 4 KiB block, few enough not to crowd out the current block's misses. No LBA
    /// format has smaller blocks, so they always lie inside the block at the LBA.
    static let prefetchBytes = NVMe.prefetchBytes

    /// A hint before block `lba` and those after it are read (`forWriting` false) or written:
    /// starts moving the first ``prefetchBytes`` of a memory store's block into the cache. Nothing
    /// for a file store, an LBA out of range, a read of a deallocated block (which does not touch
    /// the store) or a plaintext write (streamed past the cache, see
    /// ``write(_:from:sourceIsScratch:)``).
    @inline(__always)
    func prefetch(_ lba: UInt64, forWriting: Bool) {
        guard let memory = store.memory, lba < blockCount else { return }
        guard forWriting ? unretainedCipher != nil : allocation.isAllocated(lba) else { return }
        CacheControl.prefetch(memory + Int(lba << UInt64(blockShift)), length: Self.prefetchBytes, forWriting: forWriting)
    }

    /// Reads block `lba` (in range) into `destination`: zeroes when deallocated, else the stored
    /// block, decrypted. Unrecovered Read Error when the file read fails, Internal Error when the
    /// cipher has no key.
    @inline(__always)
    func read(_ lba: UInt64, into destination: UnsafeMutableRawPointer) -> NVMeStatus {
        guard allocation.isAllocated(lba) else {
            destination.initializeMemory(as: UInt8.self, repeating: 0, count: blockSize)
            return .success
        }
        let offset = lba << UInt64(blockShift)
        if let memory = store.memory {
            let source = UnsafeRawPointer(memory + Int(offset))
            if let cipher = unretainedCipher {
                let size = blockSize
                if size > Self.prefetchBytes {
                    // The look-ahead fetched the first bytes of this block; ask for the next stretch
                    // now, so its lines arrive while the cipher works through the first ones.
                    CacheControl.prefetch(source + Self.prefetchBytes, length: 2 * Self.prefetchBytes, forWriting: false)
                }
                let ok = cipher._withUnsafeGuaranteedRef { $0.decrypt(source, destination, length: size, dataUnit: lba) }
                return ok ? .success : .internalError
            }
            destination.copyMemory(from: source, byteCount: blockSize)
            return .success
        }
        guard store.read(into: destination, offset: offset, count: blockSize) else { return .unrecoveredReadError }
        if let cipher, !cipher.decrypt(destination, destination, length: blockSize, dataUnit: lba) { return .internalError }
        return .success
    }

    /// Writes block `lba` (in range) from `source`, encrypted when the namespace is. `sourceIsScratch`
    /// says `source` is the controller's own bounce buffer, which may be encrypted in place.
    /// Plaintext reaches a memory store through streaming stores, which do not read the block's
    /// lines first (a random block of a large store is not in the cache, and is not read again soon).
    /// As for reads, a file store's write is a call (``writeToFile(_:from:sourceIsScratch:)``).
    @inline(__always)
    func write(_ lba: UInt64, from source: UnsafeMutableRawPointer, sourceIsScratch: Bool) -> NVMeStatus {
        guard let memory = store.memory else { return writeToFile(lba, from: source, sourceIsScratch: sourceIsScratch) }
        let target = memory + Int(lba << UInt64(blockShift))
        if let cipher = unretainedCipher {
            let size = blockSize
            let ok = cipher._withUnsafeGuaranteedRef { $0.encrypt(source, target, length: size, dataUnit: lba) }
            guard ok else { return .internalError }
        } else {
            CacheControl.copyStreaming(to: target, from: source, length: blockSize)
        }
        allocation.markAllocated(lba)
        return .success
    }

    /// ``write(_:from:sourceIsScratch:)`` to a file store: ciphertext is staged in ``scratch``
    /// (or in the bounce buffer itself) and then written.
    @inline(never)
    private func writeToFile(_ lba: UInt64, from source: UnsafeMutableRawPointer, sourceIsScratch: Bool) -> NVMeStatus {
        var data = UnsafeRawPointer(source)
        if let cipher {
            let out = sourceIsScratch ? source : scratch
            guard cipher.encrypt(source, out, length: blockSize, dataUnit: lba) else { return .internalError }
            data = UnsafeRawPointer(out)
        }
        guard store.write(from: data, offset: lba << UInt64(blockShift), count: blockSize) else { return .writeFault }
        allocation.markAllocated(lba)
        return .success
    }

    /// Compares block `lba` with `data`: success, Compare Failure, or the read's error.
    func compare(_ lba: UInt64, with data: UnsafeRawPointer) -> NVMeStatus {
        let status = read(lba, into: scratch)
        guard status.isSuccess else { return status }
        return memcmp(scratch, data, blockSize) == 0 ? .success : .compareFailure
    }

    /// Reads block `lba` to check it can be read (Verify); the data goes nowhere.
    func verify(_ lba: UInt64) -> NVMeStatus { read(lba, into: scratch) }

    /// Deallocates `count` blocks from `lba` (in range); whole pages of the store are given back.
    func deallocate(_ lba: UInt64, count: UInt64) {
        allocation.deallocate(lba, count: count)
        store.discard(offset: lba << UInt64(blockShift), count: count << UInt64(blockShift))
    }

    /// Makes written blocks durable. Write Fault when the file cannot be synced.
    func flush() -> NVMeStatus { store.flush() ? .success : .writeFault }

    // MARK: Erase and format

    /// User data erase: every block deallocated and the store's contents discarded.
    func eraseUserData() {
        allocation.deallocateAll()
        store.discard(offset: 0, count: store.byteCount)
    }

    /// Cryptographic erase: every block deallocated first, then the key destroyed and replaced.
    /// Without a cipher this is a user data erase. If no new key can be drawn the old one is still
    /// gone; reads of written blocks then fail until a later erase succeeds.
    func cryptoErase() throws(BlockCryptoError) {
        allocation.deallocateAll()
        guard let cipher else {
            store.discard(offset: 0, count: store.byteCount)
            return
        }
        try cipher.replaceKey()
        keyGeneration &+= 1
    }

    /// Switches to LBA format `index`; every block is deallocated.
    func format(_ index: Int) throws(NVMeSetupError) {
        let shift = Self.formatBlockShifts[index]
        try allocation.reset(blockCount: capacityBytes >> UInt64(shift))
        formatIndex = index
        blockShift = shift
        blockSize = 1 << shift
        blockCount = capacityBytes >> UInt64(shift)
    }

    /// Test seam: replaces the key with `key` (64 bytes) and deallocates everything. Encrypted
    /// namespaces only (``BlockCryptoError/cipherFailed`` otherwise).
    func installTestKey(_ key: [UInt8]) throws(BlockCryptoError) {
        guard let cipher else { throw .cipherFailed }
        try cipher.replaceKey(testKey: key)
        allocation.deallocateAll()
        keyGeneration &+= 1
    }

    /// Blocks (ascending ranges of LBAs) outside which every stored byte is zero: those
    /// overlapping a stretch of the store that may hold data.
    func blocksThatMayHoldData() -> [Range<UInt64>] {
        let size = UInt64(blockSize)
        var blocks: [Range<UInt64>] = []
        for bytes in store.rangesThatMayHoldData() {
            let first = bytes.lowerBound / size
            let end = min((bytes.upperBound + size - 1) / size, blockCount)
            guard first < end else { continue }
            if let last = blocks.last, last.upperBound >= first {
                blocks[blocks.count - 1] = last.lowerBound..<max(last.upperBound, end)
            } else {
                blocks.append(first..<end)
            }
        }
        return blocks
    }

    /// Test seam: the raw stored bytes of block `lba` (ciphertext when encrypted).
    func storedBytes(_ lba: UInt64) -> [UInt8] {
        guard lba < blockCount else { return [] }
        var out = [UInt8](repeating: 0, count: blockSize)
        let offset = lba << UInt64(blockShift)
        out.withUnsafeMutableBytes { b in
            guard let base = b.baseAddress else { return }
            if let memory = store.memory {
                base.copyMemory(from: memory + Int(offset), byteCount: blockSize)
            } else {
                _ = store.read(into: base, offset: offset, count: blockSize)
            }
        }
        return out
    }
}
