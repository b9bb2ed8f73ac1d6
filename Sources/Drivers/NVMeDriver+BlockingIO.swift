import NVMe
import PCIe

/// Blocking conveniences over the queue-depth API: post, ring, wait for that command. They may
/// be mixed with ``NVMeDriver/reap(queue:into:)`` on the same queue (completions of other
/// commands seen while waiting are kept for the next reap).
extension NVMeDriver {
    /// Rings `queue`'s doorbell and waits for command `commandID`; returns its completion
    /// whatever the status (``NVMeDriverError/timeout(queue:commandID:)`` after the command timeout).
    public func waitForCommand(_ commandID: UInt16, queue: Int) throws(NVMeDriverError) -> NVMeCompletion {
        let pair = try ioQueue(queue)
        pair.ring(access, bar: bar)
        return try waitForCompletion(
            of: commandID, on: pair, timeout: configuration.commandTimeout)
    }

    /// Waits for `commandID` and throws ``NVMeDriverError/command(_:)`` unless it succeeded.
    func expectSuccess(_ commandID: UInt16, queue: Int) throws(NVMeDriverError) {
        let c = try waitForCommand(commandID, queue: queue)
        guard c.status.isSuccess else { throw .command(c.status) }
    }

    /// Reads `blocks` blocks at `lba` into `buffer` from byte `offset`.
    public func read(
        queue: Int = 0, namespace: UInt32 = 1, lba: UInt64, blocks: Int, into buffer: DMABuffer, offset: Int = 0
    ) throws(NVMeDriverError) {
        let id = try submitRead(queue: queue, namespace: namespace, lba: lba, blocks: blocks, into: buffer, offset: offset)
        try expectSuccess(id, queue: queue)
    }

    /// Writes `blocks` blocks at `lba` from `buffer` at byte `offset`.
    public func write(
        queue: Int = 0, namespace: UInt32 = 1, lba: UInt64, blocks: Int, from buffer: DMABuffer, offset: Int = 0,
        forceUnitAccess: Bool = false
    ) throws(NVMeDriverError) {
        let id = try submitWrite(
            queue: queue, namespace: namespace, lba: lba, blocks: blocks, from: buffer, offset: offset,
            forceUnitAccess: forceUnitAccess)
        try expectSuccess(id, queue: queue)
    }

    /// Compares `blocks` blocks at `lba` with `buffer` at `offset`: true if equal, false on
    /// Compare Failure (2/85); other statuses throw.
    public func compare(
        queue: Int = 0, namespace: UInt32 = 1, lba: UInt64, blocks: Int, with buffer: DMABuffer, offset: Int = 0
    ) throws(NVMeDriverError) -> Bool {
        let id = try submitCompare(queue: queue, namespace: namespace, lba: lba, blocks: blocks, with: buffer, offset: offset)
        let c = try waitForCommand(id, queue: queue)
        if c.status.isSuccess { return true }
        if c.status.type == NVMeStatus.compareFailure.type, c.status.code == NVMeStatus.compareFailure.code { return false }
        throw .command(c.status)
    }

    /// Flushes the volatile write cache of `namespace`.
    public func flush(queue: Int = 0, namespace: UInt32 = 1) throws(NVMeDriverError) {
        try expectSuccess(try submitFlush(queue: queue, namespace: namespace), queue: queue)
    }

    /// Writes zeroes to `blocks` blocks at `lba` (`deallocate` sets DEAC).
    public func writeZeroes(
        queue: Int = 0, namespace: UInt32 = 1, lba: UInt64, blocks: Int, deallocate: Bool = false
    ) throws(NVMeDriverError) {
        let id = try submitWriteZeroes(queue: queue, namespace: namespace, lba: lba, blocks: blocks, deallocate: deallocate)
        try expectSuccess(id, queue: queue)
    }

    /// Deallocates (trims) `blocks` blocks at `lba` with Dataset Management.
    public func deallocate(queue: Int = 0, namespace: UInt32 = 1, lba: UInt64, blocks: UInt32) throws(NVMeDriverError) {
        try expectSuccess(try submitDeallocate(queue: queue, namespace: namespace, lba: lba, blocks: blocks), queue: queue)
    }

    /// Verifies `blocks` blocks at `lba`.
    public func verify(queue: Int = 0, namespace: UInt32 = 1, lba: UInt64, blocks: Int) throws(NVMeDriverError) {
        try expectSuccess(try submitVerify(queue: queue, namespace: namespace, lba: lba, blocks: blocks), queue: queue)
    }
}
