import NVMe
import PCIe

/// The I/O path: post commands without waiting, one doorbell per batch, reap completions.
/// Queues are numbered from 0 here (queue `q` has queue identifier `q + 1`). Nothing on this
/// path allocates; errors are thrown before anything is posted.
extension NVMeDriver {
    @inlinable @inline(__always)
    func ioQueue(_ queue: Int) throws(NVMeDriverError) -> NVMeQueuePair {
        guard isRunning else { throw .notRunning }
        guard queue >= 0, queue < ioQueues.count else { throw .noSuchQueue(queue) }
        return ioQueues[queue]
    }

    @inlinable @inline(__always)
    func blockSize(of namespace: UInt32) throws(NVMeDriverError) -> Int {
        for g in geometry where g.id == namespace { return g.blockSize }
        throw .noSuchNamespace(namespace)
    }

    /// Posts a data transfer command (read, write, compare) with PRPs over `buffer`.
    @inlinable
    func submitTransfer(
        _ opcode: NVMOpcode, queue: Int, namespace: UInt32, lba: UInt64, blocks: Int, buffer: DMABuffer, offset: Int,
        flags: UInt32
    ) throws(NVMeDriverError) -> UInt16 {
        let pair = try ioQueue(queue)
        let length = try blockSize(of: namespace) &* blocks
        guard blocks >= 1, blocks <= 0x1_0000, length <= maximumTransferBytes else {
            throw .invalidTransfer("\(blocks) blocks exceed the maximum transfer of \(maximumTransferBytes) bytes")
        }
        guard offset >= 0, offset & 3 == 0, offset <= buffer.count, length <= buffer.count &- offset else {
            throw .invalidTransfer("\(length) bytes at offset \(offset) of a \(buffer.count)-byte buffer")
        }
        guard let slot = pair.acquire() else { throw .queueFull(queue: queue) }
        guard let prp = pair.buildPRPs(slot: slot, address: buffer.deviceAddress.value &+ UInt64(offset), length: length)
        else {
            pair.release(slot)
            throw .invalidTransfer("\(length) bytes need more PRP list pages than a command slot has")
        }
        var e = SubmissionEntry()
        e.setHeader(opcode: opcode.rawValue, commandID: UInt16(truncatingIfNeeded: slot))
        e[dword: 1] = namespace
        e[dword: 6] = UInt32(truncatingIfNeeded: prp.prp1)
        e[dword: 7] = UInt32(truncatingIfNeeded: prp.prp1 >> 32)
        e[dword: 8] = UInt32(truncatingIfNeeded: prp.prp2)
        e[dword: 9] = UInt32(truncatingIfNeeded: prp.prp2 >> 32)
        e[dword: 10] = UInt32(truncatingIfNeeded: lba)
        e[dword: 11] = UInt32(truncatingIfNeeded: lba >> 32)
        e[dword: 12] = UInt32(truncatingIfNeeded: blocks &- 1) | flags
        pair.post(e, slot: slot)
        return UInt16(truncatingIfNeeded: slot)
    }

    /// Posts Read of `blocks` blocks at `lba` into `buffer` from byte `offset` (dword aligned);
    /// returns the command identifier. The doorbell is rung by ``ringDoorbell(queue:)``.
    @inlinable
    public func submitRead(
        queue: Int, namespace: UInt32 = 1, lba: UInt64, blocks: Int, into buffer: DMABuffer, offset: Int = 0
    ) throws(NVMeDriverError) -> UInt16 {
        try submitTransfer(
            .read, queue: queue, namespace: namespace, lba: lba, blocks: blocks, buffer: buffer, offset: offset, flags: 0)
    }

    /// Posts Write of `blocks` blocks at `lba` from `buffer` at `offset`; `forceUnitAccess` sets FUA.
    @inlinable
    public func submitWrite(
        queue: Int, namespace: UInt32 = 1, lba: UInt64, blocks: Int, from buffer: DMABuffer, offset: Int = 0,
        forceUnitAccess: Bool = false
    ) throws(NVMeDriverError) -> UInt16 {
        try submitTransfer(
            .write, queue: queue, namespace: namespace, lba: lba, blocks: blocks, buffer: buffer, offset: offset,
            flags: forceUnitAccess ? 1 << 30 : 0)
    }

    /// Posts Compare of `blocks` blocks at `lba` with `buffer` at `offset` (2/85 if they differ).
    @inlinable
    public func submitCompare(
        queue: Int, namespace: UInt32 = 1, lba: UInt64, blocks: Int, with buffer: DMABuffer, offset: Int = 0
    ) throws(NVMeDriverError) -> UInt16 {
        try submitTransfer(
            .compare, queue: queue, namespace: namespace, lba: lba, blocks: blocks, buffer: buffer, offset: offset, flags: 0)
    }

    /// Posts a command without a data buffer of the driver's own (NSID and CDW10-12 as given).
    @inlinable
    func submitCommand(
        _ opcode: NVMOpcode, queue: Int, namespace: UInt32, cdw10: UInt32 = 0, cdw11: UInt32 = 0, cdw12: UInt32 = 0,
        dataFromScratch: Bool = false
    ) throws(NVMeDriverError) -> (slot: Int, pair: NVMeQueuePair) {
        let pair = try ioQueue(queue)
        guard let slot = pair.acquire() else { throw .queueFull(queue: queue) }
        var e = SubmissionEntry()
        e.setHeader(opcode: opcode.rawValue, commandID: UInt16(truncatingIfNeeded: slot))
        e[dword: 1] = namespace
        if dataFromScratch {
            let address = pair.scratch(slot: slot).address
            e[dword: 6] = UInt32(truncatingIfNeeded: address)
            e[dword: 7] = UInt32(truncatingIfNeeded: address >> 32)
        }
        e[dword: 10] = cdw10
        e[dword: 11] = cdw11
        e[dword: 12] = cdw12
        pair.post(e, slot: slot)
        return (slot, pair)
    }

    /// Posts Flush.
    @inlinable
    public func submitFlush(queue: Int, namespace: UInt32 = 1) throws(NVMeDriverError) -> UInt16 {
        UInt16(truncatingIfNeeded: try submitCommand(.flush, queue: queue, namespace: namespace).slot)
    }

    /// Posts Write Zeroes of `blocks` blocks at `lba`; `deallocate` sets DEAC.
    @inlinable
    public func submitWriteZeroes(
        queue: Int, namespace: UInt32 = 1, lba: UInt64, blocks: Int, deallocate: Bool = false
    ) throws(NVMeDriverError) -> UInt16 {
        guard blocks >= 1, blocks <= 0x1_0000 else { throw .invalidTransfer("\(blocks) blocks") }
        let cdw12 = UInt32(blocks - 1) | (deallocate ? 1 << 25 : 0)
        return UInt16(
            truncatingIfNeeded: try submitCommand(
                .writeZeroes, queue: queue, namespace: namespace, cdw10: UInt32(truncatingIfNeeded: lba),
                cdw11: UInt32(truncatingIfNeeded: lba >> 32), cdw12: cdw12
            ).slot)
    }

    /// Posts Verify of `blocks` blocks at `lba`.
    @inlinable
    public func submitVerify(queue: Int, namespace: UInt32 = 1, lba: UInt64, blocks: Int) throws(NVMeDriverError) -> UInt16 {
        guard blocks >= 1, blocks <= 0x1_0000 else { throw .invalidTransfer("\(blocks) blocks") }
        return UInt16(
            truncatingIfNeeded: try submitCommand(
                .verify, queue: queue, namespace: namespace, cdw10: UInt32(truncatingIfNeeded: lba),
                cdw11: UInt32(truncatingIfNeeded: lba >> 32), cdw12: UInt32(blocks - 1)
            ).slot)
    }

    /// Posts Dataset Management with one deallocate range of `blocks` blocks at `lba` (the range
    /// lives in the command slot's scratch page).
    @inlinable
    public func submitDeallocate(queue: Int, namespace: UInt32 = 1, lba: UInt64, blocks: UInt32) throws(NVMeDriverError) -> UInt16
    {
        let (slot, pair) = try submitCommand(
            .datasetManagement, queue: queue, namespace: namespace, cdw11: 1 << 2, dataFromScratch: true)
        let range = pair.scratch(slot: slot).host
        range.storeBytes(of: UInt32(0), toByteOffset: 0, as: UInt32.self)
        range.storeBytes(of: blocks.littleEndian, toByteOffset: 4, as: UInt32.self)
        range.storeBytes(of: lba.littleEndian, toByteOffset: 8, as: UInt64.self)
        return UInt16(truncatingIfNeeded: slot)
    }

    /// Posts `entry` as is on I/O queue `queue` except for its command identifier (conformance and
    /// bad-input tests: the caller supplies PRPs, NSID and every field). Returns the identifier.
    public func submitRaw(queue: Int, _ entry: SubmissionEntry) throws(NVMeDriverError) -> UInt16 {
        let pair = try ioQueue(queue)
        guard let slot = pair.acquire() else { throw .queueFull(queue: queue) }
        var e = entry
        e[dword: 0] = e[dword: 0] & 0xFFFF | UInt32(slot) << 16
        pair.post(e, slot: slot)
        return UInt16(truncatingIfNeeded: slot)
    }

    /// Writes the SQ tail doorbell of `queue` once for everything posted since the last ring.
    @inlinable
    public func ringDoorbell(queue: Int) {
        guard queue >= 0, queue < ioQueues.count else { return }
        // The queue array keeps the pair alive and nothing in the call replaces it (the device
        // never calls back into the driver), so the pair is used without a retain and release.
        Unmanaged.passUnretained(ioQueues[queue])._withUnsafeGuaranteedRef { $0.ring(access, bar: bar) }
    }

    /// Copies up to `out.count` completions of `queue` into `out` (phase tag; one CQ head
    /// doorbell write) and frees their command slots. Returns how many.
    @inlinable
    public func reap(queue: Int, into out: UnsafeMutableBufferPointer<NVMeCompletion>) -> Int {
        guard queue >= 0, queue < ioQueues.count else { return 0 }
        // As in ``ringDoorbell(queue:)``: no retain and release of the pair.
        return Unmanaged.passUnretained(ioQueues[queue])._withUnsafeGuaranteedRef { $0.reap(access, bar: bar, into: out) }
    }

    /// Commands of `queue` in flight.
    @inlinable
    public func outstanding(queue: Int) -> Int {
        guard queue >= 0, queue < ioQueues.count else { return 0 }
        return ioQueues[queue].outstanding
    }

    /// Commands posted on `queue`, completions consumed from its CQ, and completions naming no
    /// command in flight (dropped), since the queue was built.
    public func counters(queue: Int) -> (submitted: UInt64, completed: UInt64, unexpected: UInt64) {
        guard queue >= 0, queue < ioQueues.count else { return (0, 0, 0) }
        let q = ioQueues[queue]
        return (q.submitted, q.completed, q.unexpectedCompletions)
    }

    /// Commands `queue` can hold in flight (its depth - 1).
    public func capacity(queue: Int) -> Int {
        guard queue >= 0, queue < ioQueues.count else { return 0 }
        return ioQueues[queue].slotCount
    }

    /// Waits until `queue` has a completion to reap or `timeout` passes: sleeps on the queue's
    /// MSI-X vector with ``Configuration/interrupts``, else polls every
    /// ``Configuration/pollInterval``. Returns whether a completion is there.
    @inlinable
    public func waitForCompletions(queue: Int, timeout: VirtualDuration) -> Bool {
        guard queue >= 0, queue < ioQueues.count else { return false }
        let pair = ioQueues[queue]
        if pair.hasCompletion { return true }
        let deadline = access.clock.now.advanced(by: timeout)
        while true {
            let now = access.clock.now
            guard now < deadline else { return pair.hasCompletion }
            if usesInterrupts {
                _ = access.waitForInterrupt(
                    vector: pair.vector, timeout: VirtualDuration(nanoseconds: deadline.nanoseconds - now.nanoseconds))
            } else {
                access.sleep(configuration.pollInterval)
            }
            if pair.hasCompletion { return true }
        }
    }
}

extension NVMeDriver {
    /// Where I/O submission queue `queue` lives: its device address and entry count (for tests
    /// and fuzzers that place raw entries in it), nil for a queue that does not exist.
    public func submissionQueueRing(queue: Int) -> (address: IOVA, entries: Int)? {
        guard queue >= 0, queue < ioQueues.count else { return nil }
        return (IOVA(ioQueues[queue].sq.address), ioQueues[queue].entries)
    }

    /// Where I/O completion queue `queue` lives (for tests and fuzzers that play a hostile
    /// device writing completions), nil for a queue that does not exist.
    public func completionQueueRing(queue: Int) -> (address: IOVA, entries: Int)? {
        guard queue >= 0, queue < ioQueues.count else { return nil }
        return (IOVA(ioQueues[queue].cq.address), ioQueues[queue].entries)
    }
}
