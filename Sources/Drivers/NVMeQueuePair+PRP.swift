extension NVMeQueuePair {
    /// PRP list pages one slot needs for transfers up to `bytes` at any dword offset (at least
    /// one, which also serves as the slot's scratch page for Dataset Management ranges).
    static func listPages(forTransfer bytes: Int, pageSize: Int) -> Int {
        let spanned = (bytes + pageSize - 1) / pageSize + 1
        let entries = spanned - 1
        let perPage = pageSize / 8
        guard entries > perPage else { return 1 }
        return 1 + (entries - perPage + perPage - 2) / (perPage - 1)
    }

    /// Builds PRP1/PRP2 for `length` bytes at device address `address` (NVMe Base §4.3):
    /// PRP1 carries the offset; PRP2 is 0 for one page, the second page for two, else a PRP
    /// list in the slot's pages, the last entry of a full list page chaining to the next.
    /// Returns nil if the slot's list pages are too few (a transfer beyond the driver's limit).
    @inlinable @inline(__always)
    func buildPRPs(slot: Int, address: UInt64, length: Int) -> (prp1: UInt64, prp2: UInt64)? {
        let size = UInt64(pageSize)
        let firstLength = Int(size &- (address & (size &- 1)))
        if length <= firstLength { return (address, 0) }
        var next = (address & ~(size &- 1)) &+ size
        let remaining = length &- firstLength
        if remaining <= pageSize { return (address, next) }
        var count = (remaining &+ pageSize &- 1) / pageSize
        let perPage = pageSize / 8
        var listIndex = slot &* listPagesPerSlot
        let end = listIndex &+ listPagesPerSlot
        let firstList = lists.address &+ UInt64(listIndex &* pageSize)
        var page = lists.host + listIndex &* pageSize
        var i = 0
        while count > 0 {
            if i == perPage &- 1, count > 1 {
                listIndex &+= 1
                guard listIndex < end else { return nil }
                let chained = lists.address &+ UInt64(listIndex &* pageSize)
                page.storeBytes(of: chained.littleEndian, toByteOffset: i &* 8, as: UInt64.self)
                page = lists.host + listIndex &* pageSize
                i = 0
            }
            page.storeBytes(of: next.littleEndian, toByteOffset: i &* 8, as: UInt64.self)
            next &+= size
            i &+= 1
            count &-= 1
        }
        return (address, firstList)
    }

    /// The first list page of `slot` (CPU view and device address), used as a small data buffer
    /// for commands without a PRP list (Dataset Management ranges).
    @inlinable
    func scratch(slot: Int) -> (host: UnsafeMutableRawPointer, address: UInt64) {
        let at = slot &* listPagesPerSlot &* pageSize
        return (lists.host + at, lists.address &+ UInt64(at))
    }
}
