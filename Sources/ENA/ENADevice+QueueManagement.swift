import PCIe
import RegisterModel

extension ENADevice {
    /// Bytes of the LLQ BAR each transmit queue may use (the BAR split evenly between queue pairs).
    var llqRegionSize: Int { (Int(ENA.llqBARSize) / configuration.queuePairs) & ~255 }

    /// Whether `depth` is a power of two the device accepts for IO queues.
    private func validDepth(_ depth: UInt16) -> Bool {
        depth >= 2 && Int(depth) <= configuration.maxQueueDepth && depth & (depth &- 1) == 0
    }

    /// CREATE_CQ (`ena_admin_aq_create_cq_cmd`): takes the lowest free queue index; the reply
    /// gives the index, the depth and the offset of the queue's interrupt unmask register.
    func createCompletionQueue(_ c: ENAAdminEntry, _ r: inout ENAAdminEntry) -> ENAAdminStatus {
        let interruptMode = c.load(UInt8.self, at: 4) & 0x20 != 0
        let words = Int(c.load(UInt8.self, at: 5) & 0x1F)
        let depth = c.load(UInt16.self, at: 6)
        let vector = c.load(UInt32.self, at: 8)
        let base = c.address(at: 12)
        guard words == 2 || words == 4 || words == 8 else {
            return reject(.illegalParameter, c, "CQ entry size of \(words) words (2, 4 or 8)")
        }
        guard validDepth(depth) else {
            return reject(.illegalParameter, c, "CQ depth \(depth) is not a power of two in 2...\(configuration.maxQueueDepth)")
        }
        if interruptMode {
            guard Int(vector) < (msix?.vectorCount ?? 0) else {
                return reject(
                    .illegalParameter, c, "MSI-X vector \(vector) beyond the \(msix?.vectorCount ?? 0) the function has")
            }
        }
        let bytes = UInt64(depth) * UInt64(words * 4)
        guard base != 0, (try? dma.hostPointer(IOVA(base), length: bytes, access: .write)) != nil else {
            return reject(.malformedRequest, c, "CQ ring at 0x\(hex(base)) (\(bytes) bytes) is not DMA-writable")
        }
        guard let index = (0..<queues.count).first(where: { !queues.completion[$0].exists && !queues.submission[$0].exists })
        else {
            return reject(.resourceAllocationFailure, c, "all \(queues.count) completion queues exist")
        }
        var cq = IOCompletionQueueState()
        cq.exists = true
        cq.base = base
        cq.depth = depth
        cq.depthShift = log2(ofPowerOfTwo: depth)
        cq.entrySize = words * 4
        cq.interruptMode = interruptMode
        cq.vector = Int(vector)
        queues.completion[index] = cq
        r.store(UInt16(index), at: 8)
        r.store(depth, at: 10)
        r.store(UInt32(0), at: 12)
        r.store(UInt32(0), at: 16)
        r.store(UInt32(R.CQ_INTR.offset(index)), at: 20)
        return .success
    }

    /// DESTROY_CQ: the queue must exist and have no submission queue left.
    func destroyCompletionQueue(_ c: ENAAdminEntry) -> ENAAdminStatus {
        let index = Int(c.load(UInt16.self, at: 4))
        guard index < queues.count, queues.completion[index].exists else {
            return reject(.illegalParameter, c, "CQ \(index) does not exist")
        }
        guard queues.completion[index].boundQueue < 0 else {
            return reject(.illegalParameter, c, "CQ \(index) still has SQ \(queues.completion[index].boundQueue)")
        }
        queues.completion[index] = IOCompletionQueueState()
        return .success
    }

    /// CREATE_SQ (`ena_admin_aq_create_sq_cmd`): the queue takes the index of its completion
    /// queue, so a driver creating CQ then SQ for Tx queue q and then Rx queue q gets indices 2q
    /// and 2q + 1. LLQ queues get a region of the LLQ BAR.
    func createSubmissionQueue(_ c: ENAAdminEntry, _ r: inout ENAAdminEntry) -> ENAAdminStatus {
        let direction = ENAQueueDirection(rawValue: (c.load(UInt8.self, at: 4) >> 5) & 7)
        let caps = c.load(UInt8.self, at: 6)
        let placement = ENAPlacementPolicy(rawValue: caps & 0xF)
        let policy = (caps >> 4) & 7
        let index = Int(c.load(UInt16.self, at: 8))
        let depth = c.load(UInt16.self, at: 10)
        let base = c.address(at: 12)
        guard let direction else { return reject(.illegalParameter, c, "SQ direction \((c.load(UInt8.self, at: 4) >> 5) & 7)") }
        guard let placement, placement == .host || direction == .transmit else {
            return reject(.illegalParameter, c, "placement policy \(caps & 0xF) for a \(direction) queue")
        }
        guard policy <= 1 else { return reject(.illegalParameter, c, "completion policy \(policy) (only 0 and 1)") }
        guard validDepth(depth) else {
            return reject(.illegalParameter, c, "SQ depth \(depth) is not a power of two in 2...\(configuration.maxQueueDepth)")
        }
        guard index < queues.count, queues.completion[index].exists else {
            return reject(.illegalParameter, c, "CQ \(index) does not exist")
        }
        guard !queues.submission[index].exists, queues.completion[index].boundQueue < 0 else {
            return reject(.illegalParameter, c, "CQ \(index) already has a submission queue")
        }
        let transmit = direction == .transmit
        guard queues.completion[index].entrySize >= (transmit ? ENATxCompletion.size : ENARxCompletion.size) else {
            return reject(.illegalParameter, c, "CQ \(index) entries are too small for \(direction) completions")
        }
        guard (transmit ? transmitQueueCount : receiveQueueCount) < configuration.queuePairs else {
            return reject(.resourceAllocationFailure, c, "all \(configuration.queuePairs) \(direction) queues exist")
        }
        var sq = IOSubmissionQueueState()
        if placement == .device {
            let entryBytes = features.llq.entrySize
            guard Int(depth) * entryBytes <= llqRegionSize else {
                return reject(
                    .illegalParameter, c, "LLQ depth \(depth) of \(entryBytes)-byte entries exceeds \(llqRegionSize) bytes")
            }
            let free = ~llqSlotsInUse & ((UInt64(1) << UInt64(configuration.queuePairs)) &- 1)
            guard free != 0 else { return reject(.resourceAllocationFailure, c, "no LLQ region left") }
            sq.llqSlot = free.trailingZeroBitCount
            sq.llqOffset = sq.llqSlot * llqRegionSize
            sq.isLowLatency = true
            llqSlotsInUse |= UInt64(1) << UInt64(sq.llqSlot)
            llq.clear(from: sq.llqOffset, count: Int(depth) * entryBytes)
        } else {
            let bytes = UInt64(depth) * UInt64(ENATxDescriptor.size)
            guard base != 0, (try? dma.hostPointer(IOVA(base), length: bytes, access: .read)) != nil else {
                return reject(.malformedRequest, c, "SQ ring at 0x\(hex(base)) (\(bytes) bytes) is not DMA-readable")
            }
            sq.base = base
        }
        sq.exists = true
        sq.isTransmit = transmit
        sq.completionOnDemand = policy == 1
        sq.completionQueue = index
        sq.depth = depth
        sq.depthShift = log2(ofPowerOfTwo: depth)
        queues.submission[index] = sq
        queues.completion[index].boundQueue = index
        if transmit { transmitQueueCount += 1 } else { receiveQueueCount += 1 }
        r.store(UInt16(index), at: 8)
        r.store(UInt32(R.SQ_DB.offset(index)), at: 12)
        r.store(UInt32(sq.isLowLatency ? sq.llqOffset : 0), at: 16)
        r.store(UInt32(0), at: 20)
        return .success
    }

    /// DESTROY_SQ (`ena_admin_aq_destroy_sq_cmd`): index and direction must match a queue.
    func destroySubmissionQueue(_ c: ENAAdminEntry) -> ENAAdminStatus {
        let index = Int(c.load(UInt16.self, at: 4))
        let direction = (c.load(UInt8.self, at: 6) >> 5) & 7
        guard index < queues.count, queues.submission[index].exists else {
            return reject(.illegalParameter, c, "SQ \(index) does not exist")
        }
        let sq = queues.submission[index]
        let expected = sq.isTransmit ? ENAQueueDirection.transmit.rawValue : ENAQueueDirection.receive.rawValue
        guard direction == expected else {
            return reject(.illegalParameter, c, "SQ \(index) is not of direction \(direction)")
        }
        if sq.llqSlot >= 0 { llqSlotsInUse &= ~(UInt64(1) << UInt64(sq.llqSlot)) }
        if sq.isTransmit { transmitQueueCount -= 1 } else { receiveQueueCount -= 1 }
        queues.completion[sq.completionQueue].boundQueue = -1
        queues.submission[index] = IOSubmissionQueueState()
        return .success
    }
}
