extension NVMeController {
    /// CDW12 bits a Read, Write or Compare may set: NLB 15:0, FUA 30, Limited Retry 31. Protection
    /// information (29:26), directives (23:20) and storage tag check (24) are not supported.
    static let readWriteControlBits: UInt32 = 0xC000_FFFF

    /// Runs one NVM command set command (NVM Command Set §3).
    @inline(__always)
    func executeIO(_ e: SubmissionEntry) -> CommandResult {
        counters.ioCommands &+= 1
        guard e.fuse == 0 else { return reject(.invalidField, e, "fused operations are not supported") }
        switch e.opcode {
        case NVMOpcode.read.rawValue: return transferBlocks(e, kind: .read)
        case NVMOpcode.write.rawValue: return transferBlocks(e, kind: .write)
        case NVMOpcode.compare.rawValue: return transferBlocks(e, kind: .compare)
        case NVMOpcode.flush.rawValue: return flush(e)
        case NVMOpcode.writeZeroes.rawValue: return writeZeroes(e)
        case NVMOpcode.datasetManagement.rawValue: return datasetManagement(e)
        case NVMOpcode.verify.rawValue: return verify(e)
        default: return reject(.invalidOpcode, e, "I/O opcode 0x\(hex(e.opcode)) is not supported")
        }
    }

    /// Prefetches the store memory of the first blocks a Read, Write or Compare will touch (for
    /// writing when it writes). A hint on unvalidated fields: commands it does not apply to, or
    /// with a wrong NSID or LBA, are left to ``executeIO(_:)``; nothing observable changes.
    @inline(__always)
    func prefetchData(of e: SubmissionEntry) {
        guard e.namespaceID == Self.namespaceID else { return }
        switch e.opcode {
        case NVMOpcode.read.rawValue, NVMOpcode.compare.rawValue:
            namespace.prefetch(e.startingLBA, blocks: e.blockCountMinusOne + 1, forWriting: false)
        case NVMOpcode.write.rawValue:
            namespace.prefetch(e.startingLBA, blocks: e.blockCountMinusOne + 1, forWriting: true)
        default: break
        }
    }

    enum BlockTransfer {
        case read, write, compare
    }

    /// Checks NSID and the LBA range of a block command: Invalid Namespace or Format, LBA Out of Range.
    @inline(__always)
    func checkRange(_ e: SubmissionEntry, blocks: Int) -> NVMeStatus {
        guard e.namespaceID == Self.namespaceID else {
            return reject(.invalidNamespaceOrFormat, e, "NSID 0x\(hex(e.namespaceID))").status
        }
        let slba = e.startingLBA
        guard slba < namespace.blockCount, UInt64(blocks) <= namespace.blockCount - slba else {
            return reject(.lbaOutOfRange, e, "LBA \(slba)+\(blocks) beyond \(namespace.blockCount) blocks").status
        }
        return .success
    }

    /// Read, Write and Compare: the data pointer (PRP or SGL) resolved once, then block by block
    /// between guest memory and the namespace, straight from or into guest memory when a block
    /// lies in one contiguous segment and through the bounce buffer when it straddles two.
    @inline(__always)
    private func transferBlocks(_ e: SubmissionEntry, kind: BlockTransfer) -> CommandResult {
        let cdw12 = e.cdw12
        guard cdw12 & ~Self.readWriteControlBits == 0 else {
            return reject(.invalidField, e, "CDW12 0x\(hex(cdw12)) sets protection, directive or reserved bits")
        }
        let blocks = Int(cdw12 & 0xFFFF) + 1
        let blockSize = namespace.blockSize
        let bytes = blocks &* blockSize
        guard bytes <= maximumTransferBytes else {
            return reject(.invalidField, e, "transfer of \(bytes) bytes exceeds MDTS (\(maximumTransferBytes))")
        }
        var status = checkRange(e, blocks: blocks)
        guard status.isSuccess else { return CommandResult(status) }
        status = resolveData(e, length: bytes, toHost: kind == .read, allowSGL: true)
        guard status.isSuccess else { return CommandResult(status) }
        var cursor = TransferCursor()
        var lba = e.startingLBA
        for _ in 0..<blocks {
            let direct = transfer.contiguous(at: cursor, length: blockSize)
            switch kind {
            case .read:
                if let direct {
                    status = namespace.read(lba, into: direct)
                    transfer.advance(&cursor, by: blockSize)
                } else {
                    status = namespace.read(lba, into: transfer.bounce)
                    transfer.scatter(&cursor, from: transfer.bounce, length: blockSize)
                }
            case .write:
                if let direct {
                    status = namespace.write(lba, from: direct, sourceIsScratch: false)
                    transfer.advance(&cursor, by: blockSize)
                } else {
                    transfer.gather(&cursor, into: transfer.bounce, length: blockSize)
                    status = namespace.write(lba, from: transfer.bounce, sourceIsScratch: true)
                }
            case .compare:
                if let direct {
                    status = namespace.compare(lba, with: direct)
                    transfer.advance(&cursor, by: blockSize)
                } else {
                    transfer.gather(&cursor, into: transfer.bounce, length: blockSize)
                    status = namespace.compare(lba, with: transfer.bounce)
                }
            }
            guard status.isSuccess else { return blockFailed(status, e, lba) }
            lba &+= 1
        }
        switch kind {
        case .read:
            counters.readCommands &+= 1
            counters.bytesRead &+= UInt64(bytes)
        case .write:
            counters.writeCommands &+= 1
            counters.bytesWritten &+= UInt64(bytes)
            if cdw12 & (1 << 30) != 0 || !features.volatileWriteCache {
                let flushed = namespace.flush()
                guard flushed.isSuccess else { return blockFailed(flushed, e, lba) }
            }
        case .compare:
            counters.otherReadCommands &+= 1
        }
        return .success()
    }

    /// A block that could not be read, written or compared.
    func blockFailed(_ status: NVMeStatus, _ e: SubmissionEntry, _ lba: UInt64) -> CommandResult {
        if status == .unrecoveredReadError || status == .writeFault { counters.mediaErrors &+= 1 }
        if status == .compareFailure { return CommandResult(status) }
        return reject(status, e, "block \(lba) failed")
    }
}
