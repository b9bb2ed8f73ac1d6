import ENA
import PCIe
import RegisterModel

extension ENADriver {
    /// CREATE_CQ (`ena_admin_aq_create_cq_cmd`): interrupt mode on `vector`, entries of `words`
    /// 32-bit words. Returns the CQ index and the BAR0 offset of its interrupt unmask register.
    private func createCompletionQueue(words: UInt8, depth: Int, vector: Int, base: UInt64) throws(ENADriverError) -> (
        index: Int, unmask: UInt64
    ) {
        let reply = try admin(.createCQ) {
            $0.store(UInt8(0x20), at: 4)
            $0.store(words, at: 5)
            $0.store(UInt16(depth), at: 6)
            $0.store(UInt32(vector), at: 8)
            $0.setAddress(base, at: 12)
        }
        let index = Int(reply.load(UInt16.self, at: 8))
        let unmask = UInt64(reply.load(UInt32.self, at: 20))
        guard index < R.SQ_DB.count, Int(reply.load(UInt16.self, at: 10)) == depth, Self.isRegister(unmask) else {
            let depth = reply.load(UInt16.self, at: 10)
            throw .badReply("CREATE_CQ: index \(index), depth \(depth), unmask register 0x\(String(unmask, radix: 16))")
        }
        return (index, unmask)
    }

    /// Whether `offset` is a dword-aligned offset inside BAR0.
    static func isRegister(_ offset: UInt64) -> Bool { offset & 3 == 0 && offset < ENA.registerBARSize }

    /// CREATE_SQ (`ena_admin_aq_create_sq_cmd`) on CQ `cq`; returns the SQ index, its doorbell
    /// offset and (LLQ) the offset of its entries in the LLQ BAR.
    private func createSubmissionQueue(
        direction: ENAQueueDirection, placement: ENAPlacementPolicy, cq: Int, depth: Int, base: UInt64
    ) throws(ENADriverError) -> (index: Int, doorbell: UInt64, llqOffset: UInt64) {
        let reply = try admin(.createSQ) {
            $0.store(direction.rawValue << 5, at: 4)
            $0.store(placement.rawValue, at: 6)
            $0.store(UInt8(placement == .host ? 1 : 0), at: 7)
            $0.store(UInt16(cq), at: 8)
            $0.store(UInt16(depth), at: 10)
            $0.setAddress(base, at: 12)
        }
        let index = Int(reply.load(UInt16.self, at: 8))
        let doorbell = UInt64(reply.load(UInt32.self, at: 12))
        let llq = UInt64(reply.load(UInt32.self, at: 16))
        guard index < R.SQ_DB.count, Self.isRegister(doorbell) else {
            throw .badReply("CREATE_SQ: index \(index), doorbell 0x\(String(doorbell, radix: 16))")
        }
        return (index, doorbell, llq)
    }

    /// Tx queue: CQ of 2-word entries, then the SQ in host memory or in the LLQ BAR.
    func createTransmitQueue(_ ring: ENATxRing, vector: Int) throws(ENADriverError) {
        ring.restart(pool: pool)
        let cq = try createCompletionQueue(
            words: UInt8(ENATxCompletion.size / 4), depth: ring.depth, vector: vector,
            base: ring.completions.deviceAddress)
        let sq = try createSubmissionQueue(
            direction: .transmit, placement: ring.lowLatency == nil ? .host : .device, cq: cq.index, depth: ring.depth,
            base: ring.descriptors?.deviceAddress ?? 0)
        if let layout = ring.lowLatency {
            let end = sq.llqOffset + UInt64(ring.depth * layout.entrySize)
            guard end <= ENA.llqBARSize else {
                throw .badReply("CREATE_SQ: LLQ entries at 0x\(String(sq.llqOffset, radix: 16)) run past the LLQ BAR")
            }
        }
        ring.index = sq.index
        ring.doorbell = sq.doorbell
        ring.llqOffset = sq.llqOffset
        ring.unmaskRegister = cq.unmask
    }

    /// Rx queue: CQ of 4-word entries, then the SQ in host memory.
    func createReceiveQueue(_ ring: ENARxRing, vector: Int) throws(ENADriverError) {
        ring.restart(pool: pool)
        let cq = try createCompletionQueue(
            words: UInt8(ENARxCompletion.size / 4), depth: ring.depth, vector: vector,
            base: ring.completions.deviceAddress)
        let sq = try createSubmissionQueue(
            direction: .receive, placement: .host, cq: cq.index, depth: ring.depth, base: ring.descriptors.deviceAddress)
        ring.index = sq.index
        ring.doorbell = sq.doorbell
        ring.unmaskRegister = cq.unmask
        ring.vector = vector
    }

    /// RSS (`ena_rss_init_default`): Toeplitz with the configured key, hash input over addresses
    /// and ports, and an indirection table of 2^7 entries spreading flows over the Rx queues.
    func configureRSS() throws(ENADriverError) {
        guard let attributes, !rxRings.isEmpty else { return }
        if attributes.supports(.rssHashFunction) {
            let buffer = try zeroedControlBuffer(48)
            buffer.host.storeBytes(of: UInt32(10).littleEndian, as: UInt32.self)
            for (i, byte) in configuration.rssKey.bytes.enumerated() { buffer.host[8 + i] = byte }
            let address = buffer.deviceAddress.value
            try setFeature(.rssHashFunction) {
                $0.store(UInt32(1) << 1, at: 24)
                $0.store(UInt32(0), at: 28)
                $0.setControlBuffer(address: address, length: 48)
            }
        }
        if attributes.supports(.rssHashInput) {
            let buffer = try zeroedControlBuffer(256)
            let fields: [UInt16] = [0x3C, 0x3C, 0x3C, 0x3C, 0x0C, 0x0C]
            for (proto, selected) in fields.enumerated() {
                buffer.host.storeBytes(of: selected.littleEndian, toByteOffset: 64 + 4 * proto, as: UInt16.self)
            }
            let address = buffer.deviceAddress.value
            try setFeature(.rssHashInput) { $0.setControlBuffer(address: address, length: 256) }
        }
        guard attributes.supports(.rssIndirectionTableConfig) else { return }
        try setIndirectionTable((0..<(1 << Self.indirectionLogSize)).map { $0 % rxRings.count })
    }

    /// SET_FEATURE RSS_INDIRECTION_TABLE_CONFIG: entry i sends its flows to Rx queue `queues[i]`
    /// (by pair number; the device is given the queue's CQ index). The table has 2^k entries.
    public func setIndirectionTable(_ queues: [Int]) throws(ENADriverError) {
        let count = queues.count
        guard count > 0, count & (count - 1) == 0, count <= 1 << 10, queues.allSatisfy({ $0 >= 0 && $0 < rxRings.count })
        else {
            throw .invalidConfiguration("indirection table of \(count) entries naming queues \(Set(queues).sorted())")
        }
        let buffer = try zeroedControlBuffer(4 * count)
        // The rings' CQ indices once, not one ring lookup (and its exclusivity check) per entry.
        let cqIndex = rxRings.map { UInt16(truncatingIfNeeded: $0.index).littleEndian }
        for (i, q) in queues.enumerated() {
            buffer.host.storeBytes(of: cqIndex[q], toByteOffset: 4 * i, as: UInt16.self)
        }
        let address = buffer.deviceAddress.value
        let logSize = UInt16(count.trailingZeroBitCount)
        try setFeature(.rssIndirectionTableConfig) {
            $0.store(logSize, at: 24)
            $0.store(UInt32.max, at: 28)
            $0.setControlBuffer(address: address, length: UInt32(4 * count))
        }
    }
}
