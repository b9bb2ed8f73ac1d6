extension NVMeController {
    /// Amazon statistics page magic for EBS volumes.
    static let ebsStatisticsMagic: UInt32 = 0x3C23_B510
    /// Amazon statistics page magic for instance storage.
    static let instanceStoreStatisticsMagic: UInt32 = 0xEC2C_0D7E

    /// Get Log Page (NVMe Base §5.14): any dword-aligned offset inside the page, any length up to
    /// MDTS; bytes past the end of the page read as zero. Reading a page without Retain
    /// Asynchronous Event unmasks the events it clears.
    func getLogPage(_ e: SubmissionEntry) -> CommandResult {
        let lid = UInt8(truncatingIfNeeded: e.cdw10)
        let retainEvent = e.cdw10 & (1 << 15) != 0
        let dwords = (UInt64(e.cdw11 & 0xFFFF) << 16 | UInt64(e.cdw10 >> 16)) + 1
        let offset = UInt64(e.cdw13) << 32 | UInt64(e.cdw12)
        guard let id = LogPageID(rawValue: lid) else { return reject(.invalidLogPage, e, "log page 0x\(hex(lid))") }
        guard dwords * 4 <= UInt64(maximumTransferBytes) else {
            return reject(.invalidField, e, "log page read of \(dwords * 4) bytes exceeds MDTS")
        }
        let nsid = e.namespaceID
        guard nsid == 0 || nsid == Self.namespaceID || nsid == Self.allNamespaces else {
            return reject(.invalidField, e, "log page for NSID 0x\(hex(nsid))")
        }
        let page = logPage(id)
        guard offset & 3 == 0, offset < UInt64(page.count) else {
            return reject(.invalidField, e, "log page offset \(offset) (page of \(page.count) bytes)")
        }
        let length = Int(dwords * 4)
        let start = Int(offset)
        var out = [UInt8](repeating: 0, count: length)
        let n = min(length, page.count - start)
        out.replaceSubrange(0..<n, with: page[start..<(start + n)])
        let result = send(out, e)
        if result.status.isSuccess, !retainEvent { events.logPageRead(lid) }
        return result
    }

    /// The current contents of log page `id`.
    func logPage(_ id: LogPageID) -> [UInt8] {
        switch id {
        case .errorInformation: errorLog.page()
        case .smartHealth: smartHealthPage()
        case .firmwareSlot: firmwareSlotPage()
        case .sanitizeStatus: sanitize.page(globalDataErased: counters.writeCommands == sanitize.writesAtLastErase)
        case .amazonStatistics: statisticsPage()
        }
    }

    /// Composite temperature, Kelvin (a steady 40 °C).
    static let compositeTemperature: UInt16 = 313

    private func smartHealthPage() -> [UInt8] {
        var p = PageBuilder(size: 512)
        let c = counters
        p.put(Self.compositeTemperature, at: 1)
        p.put(UInt8(100), at: 3)
        p.put(UInt8(10), at: 4)
        p.put(percentageUsed, at: 5)
        p.put128((c.bytesRead / 512 + 999) / 1000, at: 32)
        p.put128((c.bytesWritten / 512 + 999) / 1000, at: 48)
        p.put128(c.readCommands &+ c.otherReadCommands, at: 64)
        p.put128(c.writeCommands, at: 80)
        p.put128(1, at: 112)
        p.put128(clock.now.nanoseconds / 3_600_000_000_000, at: 128)
        p.put128(c.unsafeShutdowns, at: 144)
        p.put128(c.mediaErrors, at: 160)
        p.put128(errorLog.total, at: 176)
        p.put(Self.compositeTemperature, at: 200)
        return p.bytes
    }

    /// Percentage Used: the card's own wear estimate, here bytes written against an endurance of
    /// 1000 full writes of the namespace, capped at 255.
    var percentageUsed: UInt8 {
        let endurancePercent = max(configuration.capacityBytes * 10, 1)
        return UInt8(min(counters.bytesWritten / endurancePercent, 255))
    }

    private func firmwareSlotPage() -> [UInt8] {
        var p = PageBuilder(size: 512)
        p.put(UInt8(1), at: 0)
        p.put(ascii: Self.firmwareRevision, at: 8, length: 8)
        return p.bytes
    }

    /// The Amazon statistics page (log 0xD0): magic, totals of operations and bytes, latency
    /// histograms with no bins (commands complete in zero virtual time).
    private func statisticsPage() -> [UInt8] {
        var p = PageBuilder(size: 4096)
        p.put(configuration.isEBS ? Self.ebsStatisticsMagic : Self.instanceStoreStatisticsMagic, at: 0)
        p.put(counters.readCommands, at: 8)
        p.put(counters.writeCommands, at: 16)
        p.put(counters.bytesRead, at: 24)
        p.put(counters.bytesWritten, at: 32)
        return p.bytes
    }
}

/// What the Sanitize Status log page reports (NVMe Base §5.14.1.9.2).
struct SanitizeState {
    /// SSTAT 2:0: 0 never sanitized, 1 completed, 3 failed.
    var status: UInt16 = 0
    /// Completed overwrite passes (SSTAT 7:3); always 0 (no overwrite).
    var passes: UInt16 = 0
    /// CDW10 of the most recent Sanitize that started.
    var lastCommand: UInt32 = 0
    /// Write commands counted at the last erase: none since means Global Data Erased.
    var writesAtLastErase: UInt64 = 0

    /// SSTAT value for a completed sanitize.
    static let completed: UInt16 = 1
    /// SSTAT value for a failed sanitize.
    static let failed: UInt16 = 3

    /// The 512-byte page.
    func page(globalDataErased: Bool) -> [UInt8] {
        var p = PageBuilder(size: 512)
        p.put(UInt16(0xFFFF), at: 0)
        p.put(status | passes << 3 | (globalDataErased ? 1 << 8 : 0), at: 2)
        p.put(lastCommand, at: 4)
        for at in stride(from: 8, through: 32, by: 4) { p.put(UInt32.max, at: at) }
        return p.bytes
    }
}
