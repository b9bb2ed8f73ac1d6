import PCIe

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
            namespace.prefetch(e.startingLBA, forWriting: false)
        case NVMOpcode.write.rawValue:
            namespace.prefetch(e.startingLBA, forWriting: true)
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
        var lba = e.startingLBA
        if transfer.fitsFirstPage(e, length: bytes) {
            // One page of guest memory (a 4 KiB block at a page-aligned buffer, say): one
            // translation, no segment list.
            let access: DMAAccess = kind == .read ? .write : .read
            guard var host = transfer.resolveFirstPage(e.prp1, length: bytes, access: access, status: &status) else {
                reportDataProblem(e, status)
                return CommandResult(status)
            }
            for _ in 0..<blocks {
                status = moveBlock(kind, lba, host)
                guard status.isSuccess else { return blockFailed(status, e, lba) }
                host += blockSize
                lba &+= 1
            }
        } else {
            status = resolveData(e, length: bytes, toHost: kind == .read, allowSGL: true)
            guard status.isSuccess else { return CommandResult(status) }
            var cursor = TransferCursor()
            for _ in 0..<blocks {
                if let direct = transfer.contiguous(at: cursor, length: blockSize) {
                    status = moveBlock(kind, lba, direct)
                    transfer.advance(&cursor, by: blockSize)
                } else {
                    status = bounceBlock(kind, lba, &cursor)
                }
                guard status.isSuccess else { return blockFailed(status, e, lba) }
                lba &+= 1
            }
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

    /// Reads, writes or compares block `lba` straight from or into guest memory at `guest`.
    @inline(__always)
    private func moveBlock(_ kind: BlockTransfer, _ lba: UInt64, _ guest: UnsafeMutableRawPointer) -> NVMeStatus {
        switch kind {
        case .read: namespace.read(lba, into: guest)
        case .write: namespace.write(lba, from: guest, sourceIsScratch: false)
        case .compare: namespace.compare(lba, with: guest)
        }
    }

    /// Block `lba` through the bounce buffer, for a block that straddles two segments.
    private func bounceBlock(_ kind: BlockTransfer, _ lba: UInt64, _ cursor: inout TransferCursor) -> NVMeStatus {
        let size = namespace.blockSize
        switch kind {
        case .read:
            let status = namespace.read(lba, into: transfer.bounce)
            transfer.scatter(&cursor, from: transfer.bounce, length: size)
            return status
        case .write:
            transfer.gather(&cursor, into: transfer.bounce, length: size)
            return namespace.write(lba, from: transfer.bounce, sourceIsScratch: true)
        case .compare:
            transfer.gather(&cursor, into: transfer.bounce, length: size)
            return namespace.compare(lba, with: transfer.bounce)
        }
    }

    /// A block that could not be read, written or compared.
    func blockFailed(_ status: NVMeStatus, _ e: SubmissionEntry, _ lba: UInt64) -> CommandResult {
        if status == .unrecoveredReadError || status == .writeFault { counters.mediaErrors &+= 1 }
        if status == .compareFailure { return CommandResult(status) }
        return reject(status, e, "block \(lba) failed")
    }
}
