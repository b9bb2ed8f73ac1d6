extension NVMeController {
    /// Flush (NVM Command Set §3.2.2): NSID 1 or all namespaces; a file store is synced.
    func flush(_ e: SubmissionEntry) -> CommandResult {
        guard e.namespaceID == Self.namespaceID || e.namespaceID == Self.allNamespaces else {
            return reject(.invalidNamespaceOrFormat, e, "Flush of NSID 0x\(hex(e.namespaceID))")
        }
        let status = namespace.flush()
        return status.isSuccess ? .success() : blockFailed(status, e, 0)
    }

    /// Write Zeroes (NVM Command Set §3.2.9): the blocks are deallocated (DLFEAT: deallocated
    /// blocks read zeroes), with or without DEAC. Not limited by MDTS.
    func writeZeroes(_ e: SubmissionEntry) -> CommandResult {
        let cdw12 = e.cdw12
        guard cdw12 & ~(Self.readWriteControlBits | 1 << 25) == 0 else {
            return reject(.invalidField, e, "CDW12 0x\(hex(cdw12)) sets protection, directive or reserved bits")
        }
        let blocks = Int(cdw12 & 0xFFFF) + 1
        let status = checkRange(e, blocks: blocks)
        guard status.isSuccess else { return CommandResult(status) }
        namespace.deallocate(e.startingLBA, count: UInt64(blocks))
        return .success()
    }

    /// Verify (NVM Command Set §3.2.8): every block is read (and decrypted) but not transferred.
    func verify(_ e: SubmissionEntry) -> CommandResult {
        let cdw12 = e.cdw12
        guard cdw12 & ~Self.readWriteControlBits == 0 else {
            return reject(.invalidField, e, "CDW12 0x\(hex(cdw12)) sets protection or reserved bits")
        }
        let blocks = Int(cdw12 & 0xFFFF) + 1
        let status = checkRange(e, blocks: blocks)
        guard status.isSuccess else { return CommandResult(status) }
        var lba = e.startingLBA
        for _ in 0..<blocks {
            let s = namespace.verify(lba)
            guard s.isSuccess else { return blockFailed(s, e, lba) }
            lba &+= 1
        }
        counters.otherReadCommands &+= 1
        return .success()
    }

    /// Dataset Management (NVM Command Set §3.2.3): up to 256 ranges; with Attribute Deallocate
    /// each is deallocated, without it the hints are accepted and ignored. Every range is checked
    /// before any is applied.
    func datasetManagement(_ e: SubmissionEntry) -> CommandResult {
        guard e.namespaceID == Self.namespaceID else {
            return reject(.invalidNamespaceOrFormat, e, "Dataset Management of NSID 0x\(hex(e.namespaceID))")
        }
        let ranges = Int(e.cdw10 & 0xFF) + 1
        let deallocate = e.cdw11 & (1 << 2) != 0
        let length = ranges * 16
        let status = resolveData(e, length: length, toHost: false, allowSGL: true)
        guard status.isSuccess else { return CommandResult(status) }
        var cursor = TransferCursor()
        let list = transfer.bounce
        transfer.gather(&cursor, into: list, length: length)
        let count = namespace.blockCount
        for i in 0..<ranges {
            let blocks = UInt64(UInt32(littleEndian: list.loadUnaligned(fromByteOffset: i * 16 + 4, as: UInt32.self)))
            let slba = UInt64(littleEndian: list.loadUnaligned(fromByteOffset: i * 16 + 8, as: UInt64.self))
            guard blocks == 0 || (slba < count && blocks <= count - slba) else {
                return reject(.lbaOutOfRange, e, "range \(i): LBA \(slba)+\(blocks) beyond \(count) blocks")
            }
        }
        guard deallocate else { return .success() }
        for i in 0..<ranges {
            let blocks = UInt64(UInt32(littleEndian: list.loadUnaligned(fromByteOffset: i * 16 + 4, as: UInt32.self)))
            let slba = UInt64(littleEndian: list.loadUnaligned(fromByteOffset: i * 16 + 8, as: UInt64.self))
            if blocks > 0 { namespace.deallocate(slba, count: blocks) }
        }
        return .success()
    }
}
